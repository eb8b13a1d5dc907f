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

Sessions, authorization and SAML sign-in are in place, but this demo has
no IdP to sign in at: the sample's [idp corp] gives only metadata_url, and
this version does not read IdP metadata.  SAML sign-in needs entity_id,
sso_url and certificate in [idp corp] (see "SAML sign-in" in
ssogw.conf(5)); without them a browser asking for one of [app jira]'s
pages gets 503.  Try, in another terminal:

  curl -vk --connect-to jira.example.com:443:127.0.0.1:8443 https://jira.example.com/
      routed to [app jira]; an API client without a session gets 401 with
      a JSON body naming the login URL
  curl -vk -H 'Accept: text/html' --connect-to jira.example.com:443:127.0.0.1:8443 https://jira.example.com/
      a browser would be sent to the IdP; with only metadata_url in
      [idp corp] the gateway answers 503 "Sign-in needs the identity
      provider's entity_id, sso_url and certificate in the configuration."
  curl -vk -X POST --connect-to jira.example.com:443:127.0.0.1:8443 https://jira.example.com/ssogw/saml/acs
      the assertion consumer, where an IdP posts its Response; without
      one it answers 400
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

The gateway's own answers (401, 503, 400, 421) are logged here with their
reasons.

Ctrl-C stops it.

EOT
exec "$top/ssogw" -f -d -c "$conf"
