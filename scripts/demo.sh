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
  - it proxies [app jira], https://jira.example.com, to the Tomcat
    connector http://127.0.0.1:8080.  Nothing runs there in this demo.

There is no sign-in yet: [idp corp] is read and checked, not used, and
requests go to the backend without a login.  The sign-in, and a demo with
an IdP, come later.  Try, in another terminal:

  curl -vk --connect-to jira.example.com:443:127.0.0.1:8443 https://jira.example.com/
      routed to [app jira]; nothing answers on 127.0.0.1:8080, so the
      gateway answers 502 with its error page (add
      -H 'Accept: application/json' for JSON)
  curl -vk --resolve jira.example.com:8443:127.0.0.1 https://jira.example.com:8443/
      421: the Host is jira.example.com:8443, and the app's URL has port
      443 (--connect-to above keeps the Host a browser would send)
  curl -vk https://127.0.0.1:8443/
      421 as well: no application is served at 127.0.0.1
  kill -HUP  \$(pgrep -f 'ssogw -f -d')
      reload the configuration
  kill -USR1 \$(pgrep -f 'ssogw -f -d')
      reopen the log files, if any are set
  $top/ssogw -t -c $conf
      test a configuration

The gateway's own answers (502, 421) are logged here with their reasons.
Start any HTTP server on 127.0.0.1:8080 and the first request is proxied
to it.

Ctrl-C stops it.

EOT
exec "$top/ssogw" -f -d -c "$conf"
