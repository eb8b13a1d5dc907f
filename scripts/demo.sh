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

Sessions and authorization are in place, but the sign-in protocols (SAML,
OpenID Connect) are not yet: [app jira]'s pages need a login that cannot
happen, so the gateway says so, and the demo with a real IdP comes with
them.  Try, in another terminal:

  curl -vk --connect-to jira.example.com:443:127.0.0.1:8443 https://jira.example.com/
      routed to [app jira]; an API client without a session gets 401 with
      a JSON body naming the login URL
  curl -vk -H 'Accept: text/html' --connect-to jira.example.com:443:127.0.0.1:8443 https://jira.example.com/
      a browser would be sent to the IdP; without a SAML implementation
      the gateway answers 503 "Sign-in is not available ... yet"
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

The gateway's own answers (401, 503, 421) are logged here with their
reasons.

Ctrl-C stops it.

EOT
exec "$top/ssogw" -f -d -c "$conf"
