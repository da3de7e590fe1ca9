"""The configuration ``make serve`` renders: nginx itself accepts it (``nginx -t``) and refuses a
broken one, every path the servers write is inside the run directory, the routing and the
security headers are there for the chosen numbers, and the renderer refuses what cannot go into
a configuration file. (tests/test_serve.py starts the rendered set for real.)"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from deploy import render as R


def nginx_test(run: Path, conf: Path) -> subprocess.CompletedProcess:
    return subprocess.run([R.find_program("nginx"), "-t", "-p", f"{run}/", "-c", str(conf), "-e", str(run / "log" / "nginx-error.log")],
                          capture_output=True, text=True, timeout=30)


@pytest.fixture
def rendered(tmp_path) -> R.Settings:
    return R.render(R.Settings(replicas=3, port=18501, run_dir=tmp_path / "serve"))


def test_nginx_accepts_the_rendered_configuration(rendered):
    done = nginx_test(rendered.run_dir, rendered.nginx_conf)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr
    # nginx -t makes the temporary directories it was given: inside the run directory
    assert sorted(p.name for p in (rendered.run_dir / "tmp").iterdir()) == ["client_body", "fastcgi", "proxy", "scgi", "uwsgi"]


@pytest.mark.parametrize("broken, message", [
    (lambda text: text.replace("proxy_pass http://studio;", "proxy_pass http://nowhere;", 1), "host not found in upstream"),
    (lambda text: text.replace("daemon off;", "daemon off", 1), "invalid number of arguments in \"daemon\""),
    (lambda text: re.sub(r"        server 127\.0\.0\.1:\d+ max_fails=1 fail_timeout=5s;\n", "", text), "no servers are inside upstream"),
])
def test_nginx_refuses_a_broken_configuration(rendered, broken, message):
    bad = rendered.run_dir / "broken.conf"
    bad.write_text(broken(rendered.nginx_conf.read_text()))
    assert bad.read_text() != rendered.nginx_conf.read_text()
    done = nginx_test(rendered.run_dir, bad)
    assert done.returncode != 0
    assert message in done.stderr, done.stderr


def test_everything_the_servers_write_is_in_the_run_directory(rendered):
    run = str(rendered.run_dir)
    nginx = rendered.nginx_conf.read_text()
    for directive in ("pid", "error_log", "access_log", "client_body_temp_path", "proxy_temp_path", "fastcgi_temp_path", "uwsgi_temp_path", "scgi_temp_path"):
        paths = re.findall(rf"^\s*{directive}\s+\"([^\"]+)\"", nginx, re.M)
        assert paths and all(p.startswith(run + "/") for p in paths), (directive, paths)
    assert re.search(r"^daemon off;", nginx, re.M)
    supervisord = rendered.supervisord_conf.read_text()
    written = re.findall(r"^(?:logfile|pidfile|childlogdir|file|stdout_logfile)=(.+)$", supervisord, re.M)
    assert len(written) == 4 + 1 + 3  # supervisord: log, pid file, child logs, socket; nginx's output; one log per replica
    assert all(p.startswith(run + "/") for p in written), written
    assert f"serverurl=unix://{run}/supervisor.sock" in supervisord
    assert "@{" not in nginx + supervisord


def test_every_replica_is_an_upstream_and_a_program(rendered):
    nginx, supervisord = rendered.nginx_conf.read_text(), rendered.supervisord_conf.read_text()
    assert rendered.replica_ports == (18602, 18603, 18604)
    assert re.findall(r"server 127\.0\.0\.1:(\d+) max_fails=1 fail_timeout=5s;", nginx) == ["18602", "18603", "18604"]
    programs = re.findall(r"^\[program:(app-\d+)\]\ncommand=.* --server\.port (\d+) --server\.address 127\.0\.0\.1 ", supervisord, re.M)
    assert programs == [("app-1", "18602"), ("app-2", "18603"), ("app-3", "18604")]
    assert supervisord.count("autorestart=true") == 4 and "[program:nginx]" in supervisord
    assert "listen 18501;" in nginx and "--browser.serverAddress localhost --browser.serverPort 18501" in supervisord


def test_routing_fits_streamlit(rendered):
    nginx = rendered.nginx_conf.read_text()
    stream = nginx[nginx.index("location /_stcore/stream"):]
    stream = stream[:stream.index("}")]
    assert "proxy_read_timeout 1d;" in stream and "proxy_buffering off;" in stream
    assert "proxy_set_header Upgrade $http_upgrade;" in nginx and "proxy_set_header Connection $connection_upgrade;" in nginx
    assert "proxy_set_header Host $http_host;" in nginx  # with the port: Streamlit compares it to the Origin
    assert "proxy_next_upstream error timeout http_502 http_503 http_504;" in nginx
    assert "hash $studio_route consistent;" in nginx and "add_header Set-Cookie $studio_route_cookie;" in nginx


def test_the_address_can_pin_a_session_instead(tmp_path):
    s = R.render(R.Settings(replicas=2, sticky="ip", run_dir=tmp_path))
    nginx = s.nginx_conf.read_text()
    assert "hash $remote_addr consistent;" in nginx and "add_header Set-Cookie $studio_route_cookie" not in nginx
    assert nginx_test(s.run_dir, s.nginx_conf).returncode == 0


def test_security_headers(rendered):
    nginx = rendered.nginx_conf.read_text()
    headers = dict(re.findall(r'^\s*add_header ([\w-]+) "([^"]*)" always;', nginx, re.M))
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    policy = dict(d.split(" ", 1) for d in headers["Content-Security-Policy"].split("; "))
    assert policy["frame-ancestors"] == "'self'" and policy["object-src"] == "'none'"
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    # Streamlit's page's inline script by hash; the diagram component's script by the blob: URL
    # Streamlit makes of it
    assert len(re.findall(r"'sha256-[A-Za-z0-9+/]{43}='", policy["script-src"])) >= 1 and "blob:" in policy["script-src"].split()


@pytest.mark.parametrize("kwargs, field", [
    ({"replicas": 0}, "replicas"),
    ({"replicas": 2, "replica_ports": (9001,)}, "replica ports"),
    ({"replicas": 2, "port": 9001, "replica_ports": (9001, 9002)}, "ports"),
    ({"port": 70000}, "port"),
    ({"sticky": "round-robin"}, "sticky"),
    ({"host": "example.org; evil"}, "host"),
    ({"listen": "localhost;"}, "listen"),
    ({"run_dir": Path("/tmp/a dir")}, "run directory"),
])
def test_settings_refuse_what_cannot_go_into_a_configuration(kwargs, field):
    with pytest.raises(ValueError, match=rf"^{field}:"):
        R.Settings(**kwargs)


def test_templates_take_only_known_names():
    assert R.Template("a @{x} $remote_addr %(here)s").substitute(x="1") == "a 1 $remote_addr %(here)s"
    with pytest.raises(KeyError):
        R.Template("@{missing}").substitute()
    with pytest.raises(ValueError):
        R.Template("location @fallback").substitute()


def test_the_command_renders_and_refuses(tmp_path, capsys):
    assert R.main(["--replicas", "2", "--port", "18601", "--first-replica-port", "18700", "--run-dir", str(tmp_path)]) == 0
    assert "server 127.0.0.1:18701 " in (tmp_path / "nginx.conf").read_text()
    assert R.main(["--replicas", "2", "--port", "18700", "--first-replica-port", "18700", "--run-dir", str(tmp_path)]) == 2
    assert "error: ports:" in capsys.readouterr().err
