"""Round 13 of the new-user trial (bench/README.md): a hosting team's infrastructure guide as a MyST
site (2i2c-org/infrastructure, BSD-3-Clause) and an operator whose alert rules link one long runbook
page through a templated base (openshift/elasticsearch-operator, Apache-2.0), each false error or
missed stale reference reduced to a minimal reproduction in a real temporary git repository (labels,
anchors and alert names as there, shortened; the prose is our own).
"""

from __future__ import annotations

from ask_support import ask_json, index
from checks_support import commit_history
from newuser_support import check, found

MYST_CONFIG = 'runbooks:\n  include: ["docs/**/*.md"]\n'


def test_myst_targets_are_anchors_of_the_whole_project(tmp_path):
    """2i2c: pages start with a MyST target, `(howto:features:cryptnono)=`, and name code blocks with
    a directive's `:name:` option; other pages link them as `[text](#label)`, which MyST resolves
    across the project (135 RBH302 errors before). A label on the linked page counts for
    `page.md#label` too; a label nobody defines, one inside an ordinary code block, and a page's
    label asked of another page by path are still broken."""
    root = tmp_path / "2i2c"
    commit_history(root, [{
        "rbh.yaml": MYST_CONFIG,
        "docs/myst.yml": "version: 1\nproject:\n  title: guide\n",
        "docs/howto/cryptnono.md":
            "(howto:features:cryptnono)=\n# Cryptnono\n\nText.\n\n"
            "```{code-block} yaml\n:name: cryptnono:values\n:emphasize-lines: 2\nenabled: true\n```\n\n"
            "```bash\n(not-a-target)=\n```\n",
        "docs/sre-guide/index.md":
            "# SRE guide\n\nSee [cryptnono](#howto:features:cryptnono) and [its values](#cryptnono:values),\n"
            "[the page's label](../howto/cryptnono.md#howto:features:cryptnono),\n"
            "[a missing label](#howto:features:gone), [a code line](#not-a-target),\n"
            "[a label of another page by path](other.md#howto:features:cryptnono).\n",
        "docs/sre-guide/other.md": "# Other\n\nText.\n",
    }])
    assert found(check(root)) == [
        ("RBH302", "docs/sre-guide/index.md", 5, "anchor `#howto:features:gone` not found in `docs/sre-guide/index.md`"),
        ("RBH302", "docs/sre-guide/index.md", 5, "anchor `#not-a-target` not found in `docs/sre-guide/index.md`"),
        ("RBH302", "docs/sre-guide/index.md", 6, "anchor `#howto:features:cryptnono` not found in `docs/sre-guide/other.md`"),
    ]


def test_a_myst_project_serves_its_folder_at_the_site_root(tmp_path):
    """2i2c, without rbh.yaml: `docs/myst.yml` makes `docs/` the site, and pages link
    `/topic/infrastructure/terraform` and `/reference/ci-cd/index.md` from the site root (6 RBH301
    before). A root link that names no page of the project is still broken."""
    root = tmp_path / "2i2c"
    commit_history(root, [{
        "docs/myst.yml": "version: 1\nproject:\n  title: guide\n",
        "docs/topic/infrastructure/terraform.md": "# Terraform\n",
        "docs/reference/ci-cd/index.md": "# CI/CD\n",
        "docs/hub-deployment-guide/new-cluster.md":
            "# New cluster\n\nRead [terraform](/topic/infrastructure/terraform) and [CI](/reference/ci-cd/index.md),\n"
            "not [this](/topic/infrastructure/gone).\n",
    }])
    assert [f for f in found(check(root)) if f[0] == "RBH301"] == [
        ("RBH301", "docs/hub-deployment-guide/new-cluster.md", 4, "link target `/topic/infrastructure/gone` does not exist"),
    ]


def test_vendored_dependencies_are_no_runbooks_without_a_config(tmp_path):
    """2i2c, without rbh.yaml: `dashboards/vendor/` holds jsonnet-bundler's copies of grafonnet and
    other libraries, 520 generated pages whose tables of contents link sections the generator left
    out (520 RBH302). They are other projects' pages; the team's own pages are still checked."""
    root = tmp_path / "2i2c"
    commit_history(root, [{
        "dashboards/vendor/github.com/grafana/grafonnet/docs/panel.md": "# panel\n\n* [`obj custom`](#obj-custom)\n",
        "vendor/golang.org/x/net/README.md": "# net\n\n[gone](gone.md)\n",
        "docs/ops.md": "# Ops\n\n[gone](#gone)\n",
    }])
    report = check(root)
    assert found(report) == [("RBH302", "docs/ops.md", 3, "anchor `#gone` not found in `docs/ops.md`")]
    assert report["summary"]["runbooks_checked"] == 1


EO_CONFIG = 'runbooks:\n  include: ["docs/**/*.md"]\nmanifests:\n  include: ["files/*.yml"]\n'


def _rule(alert: str, anchor: str, base: str = "[[.RunbookBaseURL]]") -> str:
    return (f'  - "alert": {alert}\n    "annotations":\n      "summary": "x"\n'
            f'      "runbook_url": "{base}#{anchor}"\n    "expr": up == 0\n')


def test_a_templated_base_settled_by_its_other_anchors_has_its_anchors_checked(tmp_path):
    """elasticsearch-operator: every alert links `[[.RunbookBaseURL]]#<Section>`, a base the operator
    fills in at run time; ten of the anchors are headings of `docs/alerts.md` and of no other page,
    but `#Elasticsearch-Cluster-Health-is-Yellow` is not: the heading reads "Healthy is Yellow".
    The other anchors settle where the base leads, so that one is a broken link (missed before). A
    base with one anchor found, or with anchors found on two different pages, stays unchecked."""
    root = tmp_path / "eo"
    commit_history(root, [{
        "rbh.yaml": EO_CONFIG,
        "docs/alerts.md":
            "# Alerts\n\n## Elasticsearch Cluster Health is Red\n\nText.\n\n## Elasticsearch Cluster Healthy is Yellow\n\n"
            "Text.\n\n## Elasticsearch JVM Heap Use is High\n\nText.\n",
        "docs/troubleshooting.md": "# Troubleshooting\n\n## Kibana\n\nText.\n\n## Indices\n\nText.\n",
        "files/prometheus_alerts.yml": '"groups":\n- "name": es\n  "rules":\n'
            + _rule("ElasticsearchClusterNotHealthy", "Elasticsearch-Cluster-Health-is-Red")
            + _rule("ElasticsearchClusterNotHealthy", "Elasticsearch-Cluster-Health-is-Yellow")
            + _rule("ElasticsearchJVMHeapUseHigh", "Elasticsearch-JVM-Heap-Use-is-High")
            # one anchor found: the base is not settled
            + _rule("KibanaDown", "Kibana", "[[.KibanaURL]]")
            + _rule("KibanaSlow", "Kibana-Slow", "[[.KibanaURL]]")
            # anchors found on two pages: not settled either
            + _rule("MixedOne", "Kibana", "[[ .OtherBase ]]")
            + _rule("MixedTwo", "Elasticsearch-JVM-Heap-Use-is-High", "[[ .OtherBase ]]")
            + _rule("MixedThree", "Gone", "[[ .OtherBase ]]"),
    }])
    assert [f for f in found(check(root)) if f[0] == "RBH203"] == [
        ("RBH203", "files/prometheus_alerts.yml", 12, "runbook_url of alert `ElasticsearchClusterNotHealthy` points to "
         "anchor `#Elasticsearch-Cluster-Health-is-Yellow`, which `docs/alerts.md` does not have (its template base leads "
         "there: the 2 other anchors of that base found in the runbooks are all headings of that page)"),
    ]


def test_a_fence_that_opens_a_list_item_is_a_code_block(tmp_path):
    """2i2c: a step of a numbered list opens a MyST tab set on the item's line, `2. `````{tab-set}`,
    and closes it at the item's content column. The parser saw only the closing fence, took it for
    an opener "never closed" (RBH001), and read the rest of the page as one shell block. The item's
    block now closes where CommonMark closes it: the page after it is prose again, and its MyST
    target and links are read."""
    root = tmp_path / "2i2c"
    commit_history(root, [{
        "rbh.yaml": MYST_CONFIG,
        "docs/grafana-account.md":
            "# Grafana access\n\n1. Find the URL.\n\n2. `````{tab-set}\n\n   ````{tab-item} Engineer\n   Log in.\n   ````\n\n"
            "   `````\n\n(grafana:users)=\n3. Open the [users page](#grafana:users), then [the missing one](#gone).\n",
    }])
    assert found(check(root)) == [
        ("RBH302", "docs/grafana-account.md", 14, "anchor `#gone` not found in `docs/grafana-account.md`"),
    ]


def test_a_placeholder_of_several_words_is_one_argument(tmp_path):
    """elasticsearch-operator: the PVC recovery page scales back with `oc scale statefulset
    --replicas=<value before scaledown> -l cluster-name=elasticsearch-recovery`; the placeholder was
    split at its spaces and `before` read as the StatefulSet's name (RBH101). A placeholder is one
    argument whatever it holds; a redirection (`< in.txt > out.txt`, spaces inside the brackets) is
    still one, and a real name after a placeholder is still judged."""
    root = tmp_path / "eo"
    commit_history(root, [{
        "rbh.yaml": 'runbooks:\n  include: ["docs/**/*.md"]\nmanifests:\n  include: ["config/**/*.yaml"]\n',
        "config/es.yaml": "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: es\n  namespace: logging\n"
                          "spec:\n  template:\n    metadata:\n      labels:\n        app: es\n    spec:\n"
                          "      containers:\n      - name: es\n        image: es:6\n",
        "docs/pvc-recovery.md":
            "# Recovery\n\n```sh\noc scale statefulset --replicas=<value before scaledown> -l app=es -n logging\n"
            "oc logs <the pod name> -n logging\n"
            "oc apply -n logging -f - < es.yaml > out.txt\n"
            "oc scale statefulset --replicas=<value before scaledown> -n logging es-old\n```\n",
    }])
    assert [f for f in found(check(root)) if f[0].startswith("RBH1")] == [
        ("RBH101", "docs/pvc-recovery.md", 7, "statefulset `es-old` not found in namespace `logging` or any other"),
    ]


def test_a_namespace_the_alert_rules_label_is_known(tmp_path):
    """elasticsearch-operator: the operator runs in its own namespace, and the Elasticsearch
    clusters it makes run where its users create them; every alert rule carries the label
    `namespace: openshift-logging`, and the runbooks run `oc -n openshift-logging get pods` (47
    RBH107 warnings before). A namespace named by a fixed label of the repository's rules is one
    the rules watch; another namespace, and a templated label, are not."""
    root = tmp_path / "eo"
    commit_history(root, [{
        "rbh.yaml": EO_CONFIG.replace('["files/*.yml"]', '["files/*.yml", "config/*.yaml"]'),
        "config/manager.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: elasticsearch-operator\n"
                               "  namespace: openshift-operators-redhat\nspec:\n  template:\n    spec:\n      containers:\n"
                               "      - name: operator\n        image: eo:1\n",
        "files/prometheus_alerts.yml": '"groups":\n- "name": es\n  "rules":\n'
            '  - "alert": ElasticsearchJVMHeapUseHigh\n    "expr": up == 0\n    "labels":\n'
            '      "namespace": openshift-logging\n      "severity": critical\n'
            '  - "alert": Other\n    "expr": up == 0\n    "labels":\n      "namespace": "{{ $labels.ns }}"\n',
        "docs/alerts.md": "# Alerts\n\n```\noc -n openshift-logging get pods\noc -n openshift-logs get pods\n"
                          "oc get pods -n {{ $labels.ns }}\n```\n",
    }])
    assert [f for f in found(check(root)) if f[0] == "RBH107"] == [
        ("RBH107", "docs/alerts.md", 5, "namespace `openshift-logs` is not defined by any manifest"),
    ]


def test_a_selector_over_nodes_or_claims_is_not_judged_against_pod_templates(tmp_path):
    """2i2c: the upgrade guides taint a node group before draining it, `kubectl taint node
    manual-phaseout:NoSchedule -l alpha.eksctl.io/nodegroup-name=core-b`, and the per-user database
    page lists claims with `kubectl get pvc -l component=extra-pvc` (4 RBH104 before). Node labels
    come from the cloud and claim labels from their own objects: no pod template has them. A
    selector over pods, or over `all`, is still judged."""
    root = tmp_path / "2i2c"
    commit_history(root, [{
        "rbh.yaml": 'runbooks:\n  include: ["docs/**/*.md"]\nmanifests:\n  include: ["manifests/*.yaml"]\n',
        "manifests/hub.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: hub\n  namespace: staging\n"
                              "spec:\n  template:\n    metadata:\n      labels:\n        component: hub\n    spec:\n"
                              "      containers:\n      - name: hub\n        image: hub:1\n",
        "docs/upgrade.md":
            "# Upgrade\n\n```bash\nkubectl taint node manual-phaseout:NoSchedule -l alpha.eksctl.io/nodegroup-name=core-b\n"
            "kubectl get nodes -l kubernetes.azure.com/agentpool=usere8sv5\n"
            "kubectl -n staging get pvc -l component=extra-pvc\n"
            "kubectl -n staging delete pod -l component=hub\n"
            "kubectl -n staging delete pod -l component=singleuser-server\n"
            "kubectl -n staging get all -l component=proxy\n```\n",
    }])
    assert [f for f in found(check(root)) if f[0] == "RBH104"] == [
        ("RBH104", "docs/upgrade.md", 8, "selector `component=singleuser-server` matches no pod template in namespace `staging`"),
        ("RBH104", "docs/upgrade.md", 9, "selector `component=proxy` matches no pod template in namespace `staging`"),
    ]


def test_an_alert_whose_section_is_empty_says_so_in_the_answer(tmp_path):
    """elasticsearch-operator: `ElasticsearchWriteRequestsRejectionJumps` links
    `#Elasticsearch-Write-Requests-Rejection-Jumps`, a heading whose only subsection,
    `### Troubleshooting`, is empty. No chunk holds it, so `rbh ask` showed the page's best match, the
    flood-watermark alert's Troubleshooting, as this alert's runbook_url section. It still does (the
    page is the alert's), but a notice says the alert's own section holds no text; an alert whose
    section has text gets no notice."""
    root = tmp_path / "eo"
    commit_history(root, [{
        "rbh.yaml": EO_CONFIG,
        "docs/alerts.md":
            "# Alerts\n\n## Elasticsearch Write Requests Rejection Jumps\n\n### Troubleshooting\n\n"
            "## Elasticsearch Node Disk Flood Watermark Reached\n\nIndices are read-only.\n\n### Troubleshooting\n\n"
            "Free disk space on the node, then unblock the indices with es_util.\n",
        "files/prometheus_alerts.yml": '"groups":\n- "name": es\n  "rules":\n'
            + _rule("ElasticsearchWriteRequestsRejectionJumps", "Elasticsearch-Write-Requests-Rejection-Jumps")
            + _rule("ElasticsearchNodeDiskWatermarkReached", "Elasticsearch-Node-Disk-Flood-Watermark-Reached"),
    }])
    index(root)
    empty = ask_json(root, "ElasticsearchWriteRequestsRejectionJumps")
    assert empty["results"][0]["alert"]["alert"] == "ElasticsearchWriteRequestsRejectionJumps"
    assert ("alert `ElasticsearchWriteRequestsRejectionJumps` links `docs/alerts.md#elasticsearch-write-requests-rejection-jumps`, "
            "a section with no text of its own: the section shown for it is the page's closest match to the question, "
            "not its runbook section") in empty["notices"]
    full = ask_json(root, "ElasticsearchNodeDiskWatermarkReached")
    assert full["results"][0]["anchor"] == "elasticsearch-node-disk-flood-watermark-reached"
    assert not any("no text of its own" in n for n in full["notices"])


def test_a_path_with_placeholder_segments_counts_when_a_file_fits_it(tmp_path):
    """2i2c: "values in `config/clusters/CLUSTER_NAME/HUB_NAME.values.yaml` files" names every hub's
    values file by a pattern (RBH303 before). Segments in capitals with an underscore stand for names;
    the path counts when a file fits it. A pattern no file fits, and a plain missing path, are still
    reported."""
    root = tmp_path / "2i2c"
    commit_history(root, [{
        "rbh.yaml": MYST_CONFIG,
        "config/clusters/leap/prod.values.yaml": "jupyterhub: {}\n",
        "docs/update-env.md":
            "# Update the image\n\nSet it in `config/clusters/CLUSTER_NAME/HUB_NAME.values.yaml`, not in\n"
            "`config/clusters/CLUSTER_NAME/HUB_NAME.secret.json` nor `config/clusters/leap/staging.values.yaml`.\n",
    }])
    assert [f for f in found(check(root)) if f[0] == "RBH303"] == [
        ("RBH303", "docs/update-env.md", 4, "repository path `config/clusters/CLUSTER_NAME/HUB_NAME.secret.json` does not exist"),
        ("RBH303", "docs/update-env.md", 4, "repository path `config/clusters/leap/staging.values.yaml` does not exist"),
    ]
