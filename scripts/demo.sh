#!/bin/sh
# demo.sh - `make demo`: runs ssogw in the foreground with debug logging and
# the sample configuration, after saying what it is about to do.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
conf=$top/etc/ssogw.conf

"$top/ssogw" -t -c "$conf"
cat <<EOT

ssogw demo
==========
Starting the gateway in the foreground (-f) with debug logging (-d) and the
sample configuration $conf:

  - it listens for HTTPS on 127.0.0.1:8443 with Debian's snake-oil
    certificate (/etc/ssl/certs/ssl-cert-snakeoil.pem);
  - it protects one application, [app jira] (https://jira.example.com,
    backend http://127.0.0.1:8080), with the SAML IdP [idp corp].

This build has the foundation only: configuration, signals, logging and
the service-manager protocol.  It accepts connections and closes them at
once; the proxy engine and the SAML login come next.  Try, in another
terminal:

  curl -vk https://127.0.0.1:8443/          (the connection is closed, and logged)
  kill -HUP  \$(pgrep -f 'ssogw -f -d')     (reload the configuration)
  kill -USR1 \$(pgrep -f 'ssogw -f -d')     (reopen the log file, if one is set)
  $top/ssogw -t -c $conf                    (test a configuration)

Ctrl-C stops it.

EOT
exec "$top/ssogw" -f -d -c "$conf"
