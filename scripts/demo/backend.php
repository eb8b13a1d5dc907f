<?php
// backend.php - the stand-in for Jira behind `make demo`: a router script
// for PHP's built-in web server (php -S 127.0.0.1:PORT backend.php).  Every
// path answers with one HTML page that shows what this backend received:
// the request line, Host, the X-Forwarded-* (and Forwarded, Via,
// X-Request-Id) fields and the identity fields ssogw set, then every field
// of the request.  Every value is HTML-escaped.  Paths under /admin show the
// same page headed as the admin area ([rule admin] in the demo's
// ssogw.conf).  The environment gives the links: DEMO_PREFIX (ssogw's
// prefix, /ssogw/) and DEMO_IDP_START (the IdP's start page).

function h($s)
{
    return htmlspecialchars((string)$s, ENT_QUOTES | ENT_SUBSTITUTE | ENT_HTML5, 'UTF-8');
}

$path = (string)parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
if ($path === '/favicon.ico') {
    http_response_code(204);
    return true;
}

$fields = [];
foreach (getallheaders() as $name => $value) {
    $fields[] = [$name, $value];
}
// field NAME: the value received (the first one), or null.
function field($name)
{
    global $fields;
    foreach ($fields as $f) {
        if (strcasecmp($f[0], $name) === 0) {
            return $f[1];
        }
    }
    return null;
}
// rows NAMES: one table row per name, "(not sent)" when absent.
function rows(array $names)
{
    $out = '';
    foreach ($names as $n) {
        $v = field($n);
        $out .= '<tr><th>' . h($n) . '</th><td>'
            . ($v === null ? '<i>(not sent)</i>' : '<code>' . h($v) . '</code>') . "</td></tr>\n";
    }
    return $out;
}

$prefix = getenv('DEMO_PREFIX') ?: '/ssogw/';
$idp_start = getenv('DEMO_IDP_START') ?: '';
$admin = $path === '/admin' || strncmp($path, '/admin/', 7) === 0;
$user = field('X-Remote-User');
$name = field('X-Remote-Name');
$request_line = $_SERVER['REQUEST_METHOD'] . ' ' . $_SERVER['REQUEST_URI'] . ' ' . $_SERVER['SERVER_PROTOCOL'];

header('Content-Type: text/html; charset=utf-8');
header('Cache-Control: no-store');
header("Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'");
?>
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title><?= $admin ? 'Administration - ' : '' ?>Demo Jira (ssogw demo backend)</title>
<style>
body { font-family: sans-serif; margin: 2em auto; max-width: 60em; padding: 0 1em; color: #172b4d; }
h1 { font-size: 1.5em; } h2 { font-size: 1.1em; margin-top: 1.5em; }
nav a { margin-right: 1.5em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .25em .75em; border-bottom: 1px solid #dfe1e6; }
th { width: 16em; font-weight: normal; color: #5e6c84; }
code { word-break: break-all; }
.admin { background: #ffebe6; padding: .5em 1em; border-left: 4px solid #de350b; }
.who { background: #e3fcef; padding: .5em 1em; border-left: 4px solid #00875a; }
</style>
</head>
<body>
<nav>
<a href="/">Home</a>
<a href="/admin/">Administration (jira-administrators only)</a>
<a href="<?= h($prefix) ?>logout">Sign out</a>
<?php if ($idp_start !== '') { ?><a href="<?= h($idp_start) ?>">The IdP's start page</a><?php } ?>
</nav>
<h1><?= $admin ? 'Administration' : 'Demo Jira' ?></h1>
<?php if ($admin) { ?>
<p class="admin">The admin area: <code>[rule admin]</code> lets only members of
<code>jira-administrators</code> in, with a recent sign-in (<code>step_up = yes</code>).</p>
<?php } ?>
<p class="who"><?php if ($user !== null) { ?>ssogw says this is
<strong><?= h($name !== null ? $name : $user) ?></strong> (<code><?= h($user) ?></code>).
<?php } else { ?>No identity fields: this request did not come through a signed-in session.<?php } ?></p>
<p>This page is the backend, the stand-in for Jira's Tomcat connector. It
shows what it received from ssogw.</p>

<h2>Request line</h2>
<table>
<tr><th>Request</th><td><code><?= h($request_line) ?></code></td></tr>
<tr><th>From</th><td><code><?= h($_SERVER['REMOTE_ADDR'] . ':' . $_SERVER['REMOTE_PORT']) ?></code></td></tr>
</table>

<h2>Identity fields (set by ssogw; any a client sent are removed)</h2>
<table>
<?= rows(['X-Remote-User', 'X-Remote-Email', 'X-Remote-Name', 'X-Remote-Groups']) ?>
</table>

<h2>Host and forwarding fields</h2>
<table>
<?= rows(['Host', 'X-Forwarded-For', 'X-Forwarded-Proto', 'X-Forwarded-Host', 'X-Forwarded-Port',
    'Forwarded', 'X-Request-Id', 'Via']) ?>
</table>

<h2>Every field received</h2>
<table>
<?php foreach ($fields as $f) { ?>
<tr><th><?= h($f[0]) ?></th><td><code><?= h($f[1]) ?></code></td></tr>
<?php } ?>
</table>
</body>
</html>
