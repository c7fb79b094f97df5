#!/bin/sh
# The web service: nginx in the foreground with TLS, its configuration made from the template
# with the address it listens on (HTTPS_LISTEN) and the php service's (PHP_ADDR).
set -eu
mkdir -p /run/nginx
sed -e "s/@HTTPS_LISTEN@/$HTTPS_LISTEN/" -e "s/@PHP_ADDR@/$PHP_ADDR/" \
    /srv/web/nginx.conf > /run/nginx/nginx.conf
exec nginx -e stderr -c /run/nginx/nginx.conf
