"""The deployment files hold together: schemas, one beat, real commands and URL paths.

No container engine or cluster runs here, so the files are checked as files:
against the Compose and Kubernetes schemas, for the invariants the deployment
depends on, and with the tools that can check them offline (``kubectl
kustomize``, ``systemd-analyze verify``, ``nginx -t``) where they are installed.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands
from django.urls import resolve

from config import health
from tests.deploy.support import DEPLOY, REPO

K8S = DEPLOY / "k8s"
SYSTEMD = DEPLOY / "systemd"
UPLOAD_LIMIT_MB = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)


def load_all(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def k8s_objects() -> list[dict]:
    files = sorted(K8S.glob("*.yaml")) + [K8S / "migrate" / "job.yaml"]
    return [doc for f in files if f.name != "kustomization.yaml" for doc in load_all(f)]


def k8s_object(kind: str, name: str) -> dict:
    [obj] = [o for o in k8s_objects() if o["kind"] == kind and o["metadata"]["name"] == name]
    return obj


def command_of(cmd: str | list[str]) -> list[str]:
    if isinstance(cmd, str):
        return shlex.split(cmd)
    if cmd[:2] == ["sh", "-c"]:
        return shlex.split(cmd[2])
    return list(cmd)


def assert_real_command(argv: list[str]) -> None:
    """The command exists here: a manage.py command, the celery app, gunicorn's config."""
    argv = [a for a in argv if a != "exec"]
    program = Path(argv[0]).name
    commands = get_commands()
    if program in {"python", "python3"}:
        assert argv[1] == "manage.py"
        assert argv[2] in commands, f"no manage.py command {argv[2]!r}"
    elif program == "celery":
        assert argv[1:3] == ["-A", "config"], argv
        assert argv[3] in {"worker", "beat", "inspect"}, argv
    elif program == "gunicorn":
        assert argv[1] == "-c" and (REPO / argv[2]).is_file(), argv
    else:
        raise AssertionError(f"unexpected program {argv}")


def manage_commands(shell: str) -> list[list[str]]:
    return [command_of(part) for part in shell.split("&&")]


# Docker Compose


def test_compose_file_matches_the_compose_specification():
    proc = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec"]
        + [str(DEPLOY / "docker-compose.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_compose_runs_every_process_and_exactly_one_beat():
    services = compose()["services"]
    assert {"postgres", "redis", "migrate", "web", "worker", "beat", "nginx"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert services["nginx"]["image"].startswith("nginx:")

    web = command_of(services["web"]["command"])
    assert web == ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
    worker = command_of(services["worker"]["command"])
    assert worker[:4] == ["celery", "-A", "config", "worker"]
    assert services["worker"]["deploy"]["replicas"] >= 2
    heavy = command_of(services["heavy-worker"]["command"])
    assert heavy[:4] == ["celery", "-A", "config", "worker"]
    assert services["heavy-worker"]["deploy"]["replicas"] >= 1

    beats = [n for n, s in services.items() if "beat" in command_of(s.get("command", []))]
    assert beats == ["beat"]
    # A fixed container name: compose refuses to scale it past one.
    assert services["beat"]["container_name"]
    assert "deploy" not in services["beat"]

    for name in ("web", "worker", "heavy-worker", "beat"):
        assert_real_command(command_of(services[name]["command"]))
    for argv in manage_commands(services["migrate"]["command"][2]):
        assert_real_command(argv)


def test_compose_migrates_once_before_the_app_starts_and_checks_the_config_first():
    services = compose()["services"]
    steps = manage_commands(services["migrate"]["command"][2])
    # Roles first (migrations act as the owner), grants after (the new tables).
    assert [s[2] for s in steps] == ["check", "db_roles", "migrate", "db_roles"]
    assert "--deploy" in steps[0]
    for name in ("web", "worker", "heavy-worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_compose_web_healthcheck_and_nginx_point_at_the_app():
    services = compose()["services"]
    probe = " ".join(services["web"]["healthcheck"]["test"])
    path = re.search(r"http://127\.0\.0\.1:8000(/\w+)", probe).group(1)
    assert resolve(path).func is health.readyz
    env = compose()["x-app"]["environment"]
    assert env["DJANGO_HTTPS"] == "1"
    assert "127.0.0.1" in env["DJANGO_ALLOWED_HOSTS"].split(",")
    assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:" in env["DATABASE_URL"]
    assert env["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    mounts = services["nginx"]["volumes"]
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in mounts
    # Only nginx is published.
    published = [n for n, s in services.items() if "ports" in s]
    assert published == ["nginx"]


def test_docker_compose_accepts_the_file_when_it_is_installed(tmp_path):
    docker = shutil.which("docker")
    if (
        docker is None
        or subprocess.run([docker, "compose", "version"], capture_output=True).returncode
    ):
        pytest.skip("docker compose is not installed here: the file is checked against its schema")
    env = {
        "DJANGO_SECRET_KEY": "x" * 50,
        "DECLASS_DOMAIN": "d.example.org",
        "POSTGRES_PASSWORD": "p",
    }
    proc = subprocess.run(
        [docker, "compose", "-f", str(DEPLOY / "docker-compose.yml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr


# Kubernetes


@pytest.mark.parametrize("version", ["1.29.0", kubernetes_validate.latest_version()])
def test_kubernetes_manifests_match_the_api_schemas(version):
    objects = k8s_objects()
    assert objects
    for obj in objects:
        kubernetes_validate.validate(obj, version, strict=True)


def test_kubernetes_runs_exactly_one_beat_and_scales_web_and_workers():
    deployments = {o["metadata"]["name"]: o for o in k8s_objects() if o["kind"] == "Deployment"}
    assert set(deployments) == {
        "declass-web",
        "declass-worker",
        "declass-heavy-worker",
        "declass-beat",
    }

    beat = deployments["declass-beat"]["spec"]
    assert beat["replicas"] == 1
    assert beat["strategy"]["type"] == "Recreate"

    autoscaled = {
        o["spec"]["scaleTargetRef"]["name"]: o["spec"]
        for o in k8s_objects()
        if o["kind"] == "HorizontalPodAutoscaler"
    }
    assert set(autoscaled) == {"declass-web", "declass-worker"}
    for name, hpa in autoscaled.items():
        assert 2 <= hpa["minReplicas"] < hpa["maxReplicas"]
        # The autoscaler owns the count; a fixed one would be reset on every apply.
        assert "replicas" not in deployments[name]["spec"]
    # Heavy workers: a fixed count, one task at a time each.
    assert deployments["declass-heavy-worker"]["spec"]["replicas"] >= 1

    for dep in deployments.values():
        [container] = dep["spec"]["template"]["spec"]["containers"]
        assert_real_command(command_of(container["command"]))
        refs = {(k, v["name"]) for e in container["envFrom"] for k, v in e.items()}
        assert refs == {("configMapRef", "declass-config"), ("secretRef", "declass-secrets")}
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert dep["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


def test_kubernetes_probes_hit_the_health_views_with_an_allowed_host():
    web = k8s_object("Deployment", "declass-web")
    [container] = web["spec"]["template"]["spec"]["containers"]
    allowed = k8s_object("ConfigMap", "declass-config")["data"]["DJANGO_ALLOWED_HOSTS"].split(",")
    expected = {
        "startupProbe": health.healthz,
        "livenessProbe": health.healthz,
        "readinessProbe": health.readyz,
    }
    for probe, view in expected.items():
        http = container[probe]["httpGet"]
        assert resolve(http["path"]).func is view, probe
        assert http["port"] == container["ports"][0]["name"]
        [host] = [h["value"] for h in http["httpHeaders"] if h["name"] == "Host"]
        assert host in allowed


def test_kubernetes_service_ingress_and_migrate_job_connect():
    service = k8s_object("Service", "declass-web")
    web = k8s_object("Deployment", "declass-web")
    assert service["spec"]["selector"] == web["spec"]["template"]["metadata"]["labels"]
    [backend] = [
        p["backend"]["service"]
        for rule in k8s_object("Ingress", "declass")["spec"]["rules"]
        for p in rule["http"]["paths"]
    ]
    assert backend["name"] == "declass-web"
    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
    annotations = k8s_object("Ingress", "declass")["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == f"{UPLOAD_LIMIT_MB}m"

    job = k8s_object("Job", "declass-migrate")
    [container] = job["spec"]["template"]["spec"]["containers"]
    steps = manage_commands(container["command"][2])
    for argv in steps:
        assert_real_command(argv)
    # Roles first (migrations act as the owner), grants after (the new tables).
    assert [s[2] for s in steps] == ["check", "db_roles", "migrate", "db_roles"]


def test_kubernetes_config_holds_no_secret_and_the_example_secret_no_real_one():
    config = k8s_object("ConfigMap", "declass-config")["data"]
    assert not {"DJANGO_SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"} & set(config)
    example = k8s_object("Secret", "declass-secrets")["stringData"]
    assert example["DJANGO_SECRET_KEY"].startswith("change-me")
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert "secret.example.yaml" not in kustomization["resources"]


def test_kustomize_renders_every_object_with_the_image():
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: kustomize rendering not checked")
    rendered = []
    for path in (K8S, K8S / "migrate"):
        proc = subprocess.run(
            [kubectl, "kustomize", str(path)], capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 0, proc.stderr
        rendered += [d for d in yaml.safe_load_all(proc.stdout) if d]
    kinds = sorted(d["kind"] for d in rendered)
    assert kinds.count("Deployment") == 4 and kinds.count("Job") == 1
    assert all(
        d["metadata"].get("namespace") == "declass" for d in rendered if d["kind"] != "Namespace"
    )
    images = {
        c["image"]
        for d in rendered
        if d["kind"] in {"Deployment", "Job"}
        for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert images == {"registry.example.org/declass:1.0.0"}  # a release tag, never "latest"


# systemd


def unit(path: Path) -> dict[str, list[str]]:
    """Key -> values of a unit file (keys may repeat, such as ExecStart)."""
    values: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


def test_systemd_units_run_real_commands_and_one_beat():
    units = {p.name: unit(p) for p in SYSTEMD.glob("declass*")}
    assert set(units) == {
        "declass.target",
        "declass-migrate.service",
        "declass-web.service",
        "declass-worker@.service",
        "declass-heavy-worker@.service",
        "declass-beat.service",
    }
    for name, values in units.items():
        for line in values.get("ExecStart", []):
            argv = [a for a in shlex.split(line) if not a.startswith("--hostname")]
            assert argv[0].startswith("/opt/declass/.venv/bin/"), line
            assert_real_command(argv)
        if name.endswith(".service"):
            assert values["User"] == ["declass"] and values["WorkingDirectory"] == ["/opt/declass"]
            assert values["EnvironmentFile"][0] == "/etc/declass/declass.env"
    # Only the migrate unit reads the owner's URL.
    for name, values in units.items():
        owner_env = "/etc/declass/declass-owner.env" in values.get("EnvironmentFile", [])
        assert owner_env == (name == "declass-migrate.service"), name
    migrate = [shlex.split(s)[2:4] for s in units["declass-migrate.service"]["ExecStart"]]
    assert migrate[:4] == [
        ["check", "--deploy"],
        ["db_roles"],
        ["migrate", "--noinput"],
        ["db_roles"],
    ]
    # Web waits for a migration running on its machine, but does not pull one in:
    # on several machines, migrations run on one, when releasing.
    assert "declass-migrate.service" in units["declass-web.service"]["After"][0].split()
    assert "Requires" not in units["declass-web.service"]
    # The one-machine target: migrate, web, a worker, a heavy worker and the one beat.
    wants = units["declass.target"]["Wants"][0].split()
    assert wants == [
        "declass-migrate.service",
        "declass-web.service",
        "declass-worker@1.service",
        "declass-heavy-worker@1.service",
        "declass-beat.service",
    ]
    # The worker is a template (as many as wanted); beat is a single unit.
    beats = [n for n, v in units.items() if " beat " in " ".join(v.get("ExecStart", []))]
    assert beats == ["declass-beat.service"]


def test_systemd_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: units checked as text only")
    env_file = tmp_path / "declass.env"
    env_file.write_text("DJANGO_SECRET_KEY=x\n")
    names = []
    for path in sorted(SYSTEMD.glob("declass*")):
        text = path.read_text().replace("/opt/declass", str(REPO))
        text = text.replace("/etc/declass/declass.env", str(env_file))
        name = path.name.replace("@.", "@1.")
        (tmp_path / name).write_text(text)
        names.append(f"./{name}")
    proc = subprocess.run(
        [analyze, "verify", "--man=no", *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr


# Celery queues: every place that starts a worker consumes known queues, together all
# of them, the heavy one apart and one task at a time, and lets a running task finish.


def worker_queues(argv: list[str]) -> set[str]:
    """The queues a ``celery worker`` command consumes (the default one without -Q)."""
    for n, arg in enumerate(argv):
        if arg.startswith("--queues="):
            return set(arg.partition("=")[2].split(","))
        if arg in {"-Q", "--queues"}:
            return set(argv[n + 1].split(","))
    return {settings.CELERY_TASK_DEFAULT_QUEUE}


def worker_concurrency(argv: list[str]) -> str | None:
    for arg in argv:
        if arg.startswith("--concurrency="):
            return arg.partition("=")[2]
    return None


def seconds(duration: str | int) -> int:
    """Compose's "16m", systemd's "16min", Kubernetes' 960."""
    match = re.fullmatch(r"(\d+)\s*(s|m|min|h)?", str(duration).strip())
    assert match, duration
    return int(match.group(1)) * {None: 1, "s": 1, "m": 60, "min": 60, "h": 3600}[match.group(2)]


def workers_of(deployment: str) -> dict[str, tuple[list[str], int]]:
    """Each worker of a deployment: its command and how long a stop waits for it."""
    workers = {}
    if deployment == "compose":
        for name, service in compose()["services"].items():
            argv = command_of(service.get("command", []))
            if argv[:4] == ["celery", "-A", "config", "worker"]:
                workers[name] = (argv, seconds(service["stop_grace_period"]))
    elif deployment == "kubernetes":
        for obj in k8s_objects():
            if obj["kind"] != "Deployment":
                continue
            pod = obj["spec"]["template"]["spec"]
            [container] = pod["containers"]
            argv = [a for a in command_of(container["command"]) if a != "exec"]
            if argv[:4] == ["celery", "-A", "config", "worker"]:
                workers[obj["metadata"]["name"]] = (argv, pod["terminationGracePeriodSeconds"])
    else:
        for path in SYSTEMD.glob("declass*.service"):
            values = unit(path)
            for line in values.get("ExecStart", []):
                argv = shlex.split(line)
                if Path(argv[0]).name == "celery" and argv[1:4] == ["-A", "config", "worker"]:
                    workers[path.name] = (argv, seconds(values["TimeoutStopSec"][0]))
    return workers


@pytest.mark.parametrize("deployment", ["compose", "kubernetes", "systemd"])
def test_workers_consume_every_queue_with_the_heavy_one_apart(deployment):
    from config.celery import app, project_tasks

    known = set(settings.TASK_QUEUES)
    workers = workers_of(deployment)
    assert len(workers) >= 2, workers
    consumed = set()
    for name, (argv, stop_wait) in workers.items():
        queues = worker_queues(argv)
        assert queues <= known, (name, queues)
        consumed |= queues
        if "heavy" in queues:
            # Heavy tasks only, one at a time: never behind them, never two side by side.
            assert queues == {"heavy"}, name
            assert worker_concurrency(argv) == "1", name
        # A stop waits for the longest task this worker may be running.
        longest = max(
            task.time_limit
            for task_name, task in project_tasks().items()
            if app.amqp.router.route({}, task_name)["queue"].name in queues
        )
        assert stop_wait > longest, (name, stop_wait, longest)
    assert consumed == known


def test_make_run_and_the_test_workers_consume_every_queue():
    import importlib.util

    spec = importlib.util.spec_from_file_location("run_local", DEPLOY / "run_local.py")
    run_local = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_local)
    worker = run_local._commands(sys.executable, "127.0.0.1", "8000")["worker"]
    assert worker_queues(worker) == set(settings.TASK_QUEUES)

    from tests.integration import services

    assert inspect_default(services.worker, "queues") == ()  # () means every queue
    assert "settings.TASK_QUEUES" in Path(services.__file__).read_text()


def inspect_default(function: object, name: str) -> object:
    import inspect

    return inspect.signature(getattr(function, "__wrapped__", function)).parameters[name].default


# nginx, gunicorn and the image


@pytest.mark.parametrize("conf", ["nginx.conf", "systemd/nginx-declass.conf"])
def test_nginx_passes_scheme_request_id_and_upload_size(conf):
    text = (DEPLOY / conf).read_text()
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in text
    assert "proxy_set_header X-Request-ID $request_id;" in text
    assert f"client_max_body_size {UPLOAD_LIMIT_MB}m;" in text
    assert "return 301 https://$host$request_uri;" in text


@pytest.mark.parametrize("conf", ["nginx.conf", "systemd/nginx-declass.conf"])
def test_nginx_accepts_the_configuration(conf, tmp_path):
    nginx, openssl = shutil.which("nginx"), shutil.which("openssl")
    if nginx is None or openssl is None:
        pytest.skip("nginx or openssl is not installed: configuration checked as text only")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=t"]
        + ["-keyout", str(tmp_path / "tls.key"), "-out", str(tmp_path / "tls.crt")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    text = (DEPLOY / conf).read_text()
    text = re.sub(r"/etc/(nginx/tls|ssl/declass)/", f"{tmp_path}/", text)
    text = text.replace("server web:8000;", "server 127.0.0.1:8000;")
    version = subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr
    if tuple(map(int, re.search(r"nginx/(\d+)\.(\d+)", version).groups())) < (1, 25):
        text = text.replace("http2 on;", "")  # the directive of nginx 1.25+ (the compose image)
    if conf.startswith("systemd"):  # a site: wrap it as Debian's nginx.conf would
        text = f"events {{}}\nhttp {{\n{text}\n}}\n"
    text = f"error_log {tmp_path}/error.log;\n{text}".replace("pid /tmp/nginx.pid;", "")
    (tmp_path / "nginx.conf").write_text(f"pid {tmp_path}/nginx.pid;\n{text}")
    if "include /etc/nginx/mime.types;" in text and not Path("/etc/nginx/mime.types").exists():
        pytest.skip("nginx has no /etc/nginx/mime.types here")
    proc = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr


def test_gunicorn_config_loads_the_app_and_logs_through_the_project():
    namespace: dict[str, object] = {}
    exec((DEPLOY / "gunicorn.conf.py").read_text(), namespace)  # noqa: S102 - our own config
    assert namespace["wsgi_app"] == "config.wsgi:application"
    assert namespace["accesslog"] is None
    assert "gunicorn.error" in namespace["logconfig_dict"]["loggers"]
    # Longer than the nginx read timeout would be pointless; shorter than a slow PDF too tight.
    assert 30 <= namespace["timeout"] <= 75


def test_dockerfile_builds_a_non_root_image_of_the_runtime_packages():
    text = (DEPLOY / "Dockerfile").read_text()
    python = re.search(r"requires-python = \">=(\d+\.\d+)\"", (REPO / "pyproject.toml").read_text())
    assert re.search(rf"^FROM python:{re.escape(python.group(1))}-slim", text, re.M)
    assert re.search(r"^USER 10001", text, re.M)
    assert 'CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py"]' in text
    # The image installs the locked runtime set, hashes checked, and nothing else
    # (tests/deploy/test_requirements.py checks what that set holds).
    assert re.search(r"^COPY requirements/runtime\.txt ", text, re.M)
    assert re.search(r"pip install --require-hashes -r requirements-runtime\.txt$", text, re.M)
    assert "sed " not in text and "requirements.txt" not in text  # the development set
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var", "deploy/.env", "deploy/tls"} <= set(ignored)
