#!/bin/sh
# The db service: MariaDB with its data in the volume at /var/lib/mysql.
# Runs as the container's root (an unprivileged host ID): the container has no capability
# to switch users, and needs none, because the volume is its own.
set -eu
mkdir -p /run/mysqld
if [ ! -d /var/lib/mysql/mysql ]; then
    echo "db: empty volume, initialising /var/lib/mysql"
    mariadb-install-db --no-defaults --user=root --datadir=/var/lib/mysql \
        --auth-root-authentication-method=socket --skip-test-db --skip-name-resolve > /tmp/install-db.log 2>&1 \
        || { cat /tmp/install-db.log; exit 1; }
fi
# --init-file runs at every start; its statements are idempotent (the database, the user, the
# table), and the password comes from the environment, not from a file in the sample.
sed -e "s/@DB_NAME@/$DB_NAME/g" -e "s/@DB_USER@/$DB_USER/g" \
    -e "s/@DB_PASSWORD@/$DB_PASSWORD/g" /srv/db/init.sql > /run/mysqld/init.sql
exec mariadbd --no-defaults --user=root --datadir=/var/lib/mysql \
    --socket=/run/mysqld/mysqld.sock --pid-file=/run/mysqld/mysqld.pid \
    --bind-address="$DB_BIND" --port="$DB_PORT" --skip-name-resolve \
    --init-file=/run/mysqld/init.sql --innodb-buffer-pool-size=32M
