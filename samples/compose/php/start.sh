#!/bin/sh
# The php service: php-fpm in the foreground (Debian names it after its PHP version), as the
# container's root (-R; see php-fpm.conf), its log on stderr (-O).
set -eu
mkdir -p /run/php
for fpm in /usr/sbin/php-fpm*; do
    exec "$fpm" --nodaemonize --force-stderr --allow-to-run-as-root --fpm-config /srv/php/php-fpm.conf
done
echo "php: no php-fpm in /usr/sbin (Debian: apt-get install php-fpm php-mysql)" >&2
exit 1
