"""Round 11 of the new-user trial (bench/README.md): a community's infrastructure docs with its
compose stacks (openfoodfacts/openfoodfacts-infrastructure) and a monitoring chart whose alert rules
link the chart's own runbooks (coder/observability), each false error (or missed stale page) reduced
to a minimal reproduction in a real temporary git repository (names, commands and a few words as
on those pages, shortened: coder/observability is CC0 1.0; from openfoodfacts-infrastructure, which
states no licence, only file, service and host names and single commands are taken, no prose).
"""

from __future__ import annotations

from checks_support import commit_history
from newuser_support import check, found

OFF_CONFIG = 'runbooks:\n  include: ["docs/**/*.md"]\nmanifests:\n  include: ["docker/**/*.yml"]\n'


def test_a_link_in_an_html_comment_is_no_link(tmp_path):
    """openfoodfacts-infrastructure: `docs/index.md` lists the datacenter pages with one entry left
    for later, `<!--  TODO - [OVH Servers](./ovh-servers.md) -->`. A comment renders nothing: the
    link is no link a reader can follow. The same link outside the comment, or after it on the same
    line, is checked; an opener inside a code span is text."""
    root = tmp_path / "off"
    commit_history(root, [{
        "rbh.yaml": OFF_CONFIG,
        "docs/free-datacenter.md": "# Free\n",
        "docs/index.md":
            "# Servers\n\n- [Free Datacenter](./free-datacenter.md)\n<!--  TODO - [OVH Servers](./ovh-servers.md) -->\n"
            "- [Moji](./moji.md) <!-- [x](./x.md) --> [Scaleway](./scaleway.md)\n\n"
            "Write `<!-- [a](./a.md)` then `-->` around it.\n",
    }])
    assert found(check(root)) == [
        ("RBH301", "docs/index.md", 5, "link target `./moji.md` does not exist"),
        ("RBH301", "docs/index.md", 5, "link target `./scaleway.md` does not exist"),
    ]


METRICS_COMPOSE = "services:\n  grafana:\n    image: grafana/grafana-oss:11\n  influx_db:\n    image: influxdb:2.5\n"
ARGILLA_COMPOSE = "services:\n  argilla:\n    image: argilla/argilla-server:1\n  elasticsearch:\n    image: elasticsearch:8\n"


def test_a_page_about_a_compose_project_the_repository_does_not_hold(tmp_path):
    """openfoodfacts-infrastructure: the repository holds three compose projects
    (`docker/metrics/`, `docker/argilla/`, `docker/label-studio/`); its operations reports run other
    projects' compose files on the servers (`cd /home/off` then `docker-compose exec -u root backend
    bash`, the search service's `docker-compose up setup`, `docker-compose run --rm filebeat bash` on
    the monitoring VM). A page that names none of the repository's services, sits in none of its
    compose folders and names none of them is about another project: not judged. A page naming one
    of the projects (its folder or one of its services) is judged whole, and with a single compose
    project every page is."""
    root = tmp_path / "off"
    pages = {
        "docs/reports/odoo.md": "# Odoo\n\n```bash\ncd /home/off\ndocker-compose run --rm --no-deps --user=root backend bash\n```\n",
        "docs/metrics.md": "# Metrics\n\nThe stack is in `docker/metrics`.\n\n```bash\ndocker compose logs influxdb\n```\n",
        "docs/grafana.md": "# Grafana\n\n```bash\ndocker compose restart grafana backend\n```\n",
    }
    commit_history(root, [{"rbh.yaml": OFF_CONFIG, "docker/metrics/docker-compose.yml": METRICS_COMPOSE,
                           "docker/argilla/docker-compose.yml": ARGILLA_COMPOSE, **pages}])
    errors = [
        ("RBH106", "docs/grafana.md", 4, "compose service `backend` is not defined in any compose file "
         "(services: argilla, elasticsearch, grafana, influx_db)"),
        ("RBH106", "docs/metrics.md", 6, "compose service `influxdb` is not defined in any compose file "
         "(services: argilla, elasticsearch, grafana, influx_db)"),
    ]
    assert found(check(root)) == errors

    one = tmp_path / "one"
    commit_history(one, [{"rbh.yaml": OFF_CONFIG, "docker/metrics/docker-compose.yml": METRICS_COMPOSE, **pages}])
    assert [f[:3] for f in found(check(one))] == [
        ("RBH106", "docs/grafana.md", 4), ("RBH106", "docs/metrics.md", 6), ("RBH106", "docs/reports/odoo.md", 5)]


CODER_CONFIG = """\
runbooks:
  include: ["chart/runbooks/*.md"]
manifests:
  include: ["compiled/*.yaml"]
check:
  runbook_urls:
    prefixes:
      "http://runbook-viewer.obs.svc.cluster.local/": "chart/runbooks/"
"""

CODER_RULES = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: coder-metrics-alerts
  namespace: obs
data:
  coderd.yaml: |
    groups:
    - name: CPU Usage
      rules:
      - alert: CoderdCPUUsage
        expr: max by (pod) (rate(container_cpu_usage_seconds_total{pod=~`coder.*`}[10m])) > 0.9
        labels:
          severity: critical
          runbook_url: http://runbook-viewer.obs.svc.cluster.local/coderd#coderdcpuusage
      - alert: ProvisionerdReplicas
        expr: sum(coderd_provisionerd_num_daemons) < 1
        labels:
          runbook_url: http://runbook-viewer.obs.svc.cluster.local/coderd#provisionerdreplicas
  enterprise.yaml: "groups:\\n- name: Licences\\n  rules:\\n  - alert: CoderLicenseSeats\\n    expr: max(coderd_license_active_users) >= 1\\n    labels:\\n      runbook_url: http://runbook-viewer.obs.svc.cluster.local/enterprise#coderlicenseseats"
  notes.yaml: |
    groups: not rules
"""


def test_rule_files_in_a_configmap_with_runbook_url_labels_are_checked(tmp_path):
    """coder/observability: the chart renders its alert rules into a ConfigMap (`coderd.yaml`,
    `enterprise.yaml` ... as data, mounted into Prometheus), each alert with a `runbook_url` label to
    the chart's runbook viewer (`/coderd#coderdcpuusage` serves `runbooks/coderd.md`). rbh read
    ConfigMaps by key only and runbook links from annotations only: the two stale links went unseen
    (`ProvisionerdReplicas` points to `coderd#provisionerdreplicas`, its section is in
    `provisionerd.md`; `CoderLicenseSeats` to `enterprise`, a page that does not exist). A value
    that is not rule groups is not read."""
    root = tmp_path / "coder"
    commit_history(root, [{
        "rbh.yaml": CODER_CONFIG,
        "compiled/resources.yaml": CODER_RULES,
        "chart/runbooks/coderd.md": "# Coderd Runbooks\n\n## CoderdCPUUsage\n\nScale up.\n\n## CoderdLicenseSeats\n\nBuy seats.\n",
        "chart/runbooks/provisionerd.md": "# Provisionerd Runbooks\n\n## ProvisionerdReplicas\n\nStart more.\n",
    }])
    assert [f for f in found(check(root)) if f[0].startswith("RBH2")] == [
        ("RBH203", "compiled/resources.yaml", 16, "runbook_url of alert `ProvisionerdReplicas` points to anchor "
         "`#provisionerdreplicas`, which `chart/runbooks/coderd.md` does not have"),
        ("RBH203", "compiled/resources.yaml", 20, "runbook_url of alert `CoderLicenseSeats` points to "
         "`chart/runbooks/enterprise.md`, which does not exist; create it with `rbh new CoderLicenseSeats`"),
    ]


def test_an_alert_whose_runbook_url_label_points_nowhere_says_so_in_the_answer(tmp_path):
    """coder/observability: `rbh ask CoderLicenseSeats` found the section `CoderdLicenseSeats` by the
    rule's summary and said the alert "links no runbook", while its `runbook_url` label names a page
    (`/enterprise#coderlicenseseats`) the chart does not have. The notice now gives that link, so the
    responder knows the alert's own link is broken (rbh check reports it). An alert whose label
    resolves is answered through it, also from an Alertmanager payload that carries it as a label
    (a renamed alert, so the link is all there is to go by)."""
    from ask_support import ask_json, index, payload

    root = tmp_path / "coder"
    commit_history(root, [{
        "rbh.yaml": CODER_CONFIG,
        "compiled/resources.yaml": CODER_RULES,
        "chart/runbooks/coderd.md": "# Coderd Runbooks\n\n## CoderdCPUUsage\n\nScale up the coderd pods.\n\n"
                                    "## CoderdLicenseSeats\n\nYour Enterprise license is approaching the number of seats purchased.\n",
    }])
    index(root)
    answer = ask_json(root, "CoderLicenseSeats")
    assert answer["notices"][0] == (
        "alert `CoderLicenseSeats` (compiled/resources.yaml:20) links no runbook (its runbook_url "
        "http://runbook-viewer.obs.svc.cluster.local/enterprise#coderlicenseseats is no runbook here): the sections "
        "below were found by its rule's summary and description")
    first = ask_json(root, "CoderdCPUUsage")["results"][0]
    assert (first["path"], first["heading"]) == ("chart/runbooks/coderd.md", "CoderdCPUUsage")
    body = payload({"labels": {"alertname": "CoderdCPUUsageRenamed",
                               "runbook_url": "http://runbook-viewer.obs.svc.cluster.local/coderd#coderdcpuusage"},
                    "annotations": {}})
    first = ask_json(root, "--alert-json", "-", input=body)["results"][0]
    assert (first["path"], first["anchor"], first["alert"]["via"]) == ("chart/runbooks/coderd.md", "coderdcpuusage", "payload-runbook_url")
