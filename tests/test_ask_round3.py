"""Issue 14, round 3: free-text misses of the new-user rounds 5 and 6 (bench/README.md), each fixed by
a general rule and reproduced here on a real git repository with a real index:

- a section longer than a chunk is cut into parts; its phrase evidence is that of all its retrieved
  parts (cortex-mixin's playbook: "queries are slow on the read path" answered CortexRequestErrors,
  whose one part repeats "read path", over CortexRequestLatency, whose two parts hold the others);
- a page whose title announces a deprecation is about something deprecated, as one titled
  "[Deprecated]" is (cloud.gov's "Deprecation Notice: Shared Database Service Instances" post
  answered "my database service is running out of storage");

``data/ask_round3/`` holds two pages of PagerDuty/incident-response-docs (e8a6182) and an excerpt
of cortexproject/cortex-jsonnet (c99aab2, ``cortex-mixin/docs/playbooks.md``), both Apache-2.0, and
four pages of alphagov/govuk-developer-docs (972d1b4, MIT).
"""

from __future__ import annotations

from pathlib import Path

from ask_support import ask_json, index
from checks_support import commit_history

DATA = Path(__file__).parent / "data" / "ask_round3"

RDS = """\
---
layout: docs
title: RDS - Relational databases
description: "Persistent, relational databases using Amazon RDS"
---

If your application uses relational databases for storage, you can use the AWS RDS service to create a database instance.

## Plans

Plan name | Description | Price
--- | --- | ---
`micro-psql` | Single-AZ instance with a minimal PostgreSQL database | Free in sandbox
`medium-gp-psql` | Single-AZ instance with a general-purpose PostgreSQL database | Paid

*Additional Cost:* All databases have a limit of 1TB in storage. After 1TB, each additional terabyte costs more.

## Create an instance

To create a service instance, run the following command:

```sh
cf create-service aws-rds ${SERVICE_PLAN_NAME} ${SERVICE_NAME}
```

## Update an instance

To update an existing service instance to a different plan run the following command:

```sh
cf update-service ${SERVICE_NAME} -p ${NEW_SERVICE_PLAN_NAME}
```

### Setting optional parameters

There are several optional parameters that you can specify when updating an existing instance:

Name | Description | Reboot required?
--- | --- | ---
`storage` | Number of GB available to the database instance | No
`backup_retention_period` | Specifies a number of days to retain daily snapshots. | No

If you want to increase the storage available to the instance to be 50 GB:

```sh
cf update-service ${SERVICE_NAME} -c '{"storage": 50}'
```

## Backup and Recovery

RDS automatically retains daily backups for 14 days. These backups are AWS RDS storage volume snapshots of the entire DB instance.

## Opening a shell to your cloud.gov database

### Using `cf connect-to-service` to start a database shell

Run this command:

```shell
cf connect-to-service <APP_NAME> <SERVICE_NAME>
```

By default, `cf connect-to-service` opens a database shell for the relevant database type if you have the utility installed on your machine.
"""

NOTICE = """\
---
layout: post
date: April 25, 2022
title: "Deprecation Notice: Shared Database Service Instances"
---

This message is to let you know about the planned deprecation of the shared instance plans in the relational database service.

## What is happening and what is the impact on customers?

As of April 29, 2022, shared instance plans will no longer be available as a choice for creating new database instances. Customers will only be able to choose from the dedicated service plans.

## What do customers need to do?

At this time, customers who are currently running shared database server instances will need to migrate to a dedicated instance plan. To perform a migration, a customer must export their existing database and restore it into a new instance created with a dedicated service plan.
"""

MULTI = """\
---
layout: docs
title: Running multiple instances
---

Running more than one instance of your application keeps it available while one of them restarts. Scale with `cf scale APP -i 3`; each instance gets its own disk storage quota.
"""


def test_phrase_evidence_of_a_section_cut_into_parts_is_that_of_all_its_parts(tmp_path):
    """CortexRequestLatency (its Write Latency and Read Latency subsections) is longer than a chunk:
    its first part repeats "the read", its second "on the"; CortexRequestErrors repeats "on the" and
    "read path" in one part. Per part, the errors section won; per section, the latency one does
    (its Read Latency part first). The playbook is the repository's only page: it is not shown whole."""
    root = tmp_path / "cortex"
    commit_history(root, [{"cortex-mixin/docs/playbooks.md": (DATA / "cortex_playbooks.md").read_text(encoding="utf-8")}])
    index(root)
    results = ask_json(root, "queries are slow on the read path", "--top-k", "3")["results"]
    assert [(r["heading"], r["line"]) for r in results] == [
        ("CortexRequestLatency", 38), ("CortexRequestErrors", 61), ("CortexSchedulerQueriesStuck", 104)]


def test_a_deprecation_notice_counts_as_deprecated(tmp_path):
    """cloud.gov (a Jekyll site): the 2022 deprecation notice post shares "database service" with the
    question and its title with the page title boost; the RDS page answers how to grow storage."""
    root = tmp_path / "cgsite"
    commit_history(root, [{
        "_config.yml": "title: site\ncollections:\n  docs:\n    output: true\n    permalink: /docs/:path/\n",
        "_docs/services/relational-database.md": RDS,
        "_docs/management/multiple-instances.md": MULTI,
        "_posts/2022-04-25-deprecation-notice.md": NOTICE,
    }])
    index(root)
    results = ask_json(root, "my database service is running out of storage", "--top-k", "3")["results"]
    assert [r["path"] for r in results] == [
        "_docs/services/relational-database.md", "_docs/management/multiple-instances.md",
        "_posts/2022-04-25-deprecation-notice.md"]

    from rbh.indexer.query import _DEPRECATED

    assert [bool(_DEPRECATED.search(t)) for t in (
        "Deprecation Notice: X", "KubeMacPoolDown [Deprecated]", "Deprecating the v1 API", "Obsolete alerts",
        "Deprecate", "Depreciation schedule", "Tenant Quotas")] == [True, True, True, True, True, False, False]


def test_a_page_whose_checklist_names_its_own_sections_is_one_procedure(tmp_path):
    """PagerDuty's security incident page: intro, `## Checklist` (fourteen numbered steps), then a
    section per step under its own heading (Attack Mitigation, Cut Off Attack Vector ...: fourteen
    top sections, most not responder vocabulary). Asked what to do about a breach, its External
    Communication step ranked first and was shown alone; the page is one procedure: shown from its
    top, the checklist in full. The external communication guidelines (a list of what an update
    holds, naming none of its sections) still answer with their best section."""
    root = tmp_path / "ir"
    commit_history(root, [{
        "mkdocs.yml": "site_name: Incident Response\n",
        "docs/during/security_incident_response.md": (DATA / "security_incident_response.md").read_text(encoding="utf-8"),
        "docs/during/external_communication_guidelines.md": (DATA / "external_communication_guidelines.md").read_text(encoding="utf-8"),
    }])
    index(root)
    first = ask_json(root, "we think there is a security breach, what do we do")["results"][0]
    assert (first["path"], first["line"], first["anchor"]) == ("docs/during/security_incident_response.md", 5, "")
    shown = [(p["heading"], p["action"]) for p in first["procedure"]]
    assert shown[:5] == [("", False), ("Checklist", True), ("Attack Mitigation", True), ("Cut Off Attack Vector", False),
                         ("Assemble Response Team", True)]
    assert len(shown) == 16

    first = ask_json(root, "how often do we post updates to customers")["results"][0]
    assert (first["path"], first["anchor"], first["procedure"]) == (
        "docs/during/external_communication_guidelines.md", "updates", None)


def test_own_checklist_needs_most_sections_named():
    from rbh.indexer.answer import ProcedureSection, own_checklist

    def page(items: list[str], headings: list[str]) -> list[ProcedureSection]:
        steps = "## Steps\n\n" + "\n".join(f"{n}. {t}" for n, t in enumerate(items, 1))
        return [ProcedureSection("Steps", 2, "steps", 3, steps, True)] + [
            ProcedureSection(h, 2, h.lower(), 10 + n, f"## {h}\n\ntext", False) for n, h in enumerate(headings)]

    headings = ["Drain the Node", "Cordon Node", "Replace Disk", "Uncordon", "Background"]
    assert own_checklist(page(["Cordon the node.", "Drain the node.", "Replace the failed disk.", "Uncordon it."], headings)) == 0
    # two of five named: a list of links or notes, not the page's steps
    assert own_checklist(page(["Cordon the node.", "Drain the node.", "Call the vendor."], headings)) is None


LOADBALANCER = """\
# Load Balancers

## What are they running?

The load balancers are a pair of Linux boxes in an active/passive configuration. The load balancing on
the active machine is done by the kernel module ipvs, controlled by keepalived.

### How do I restart it

Issue the command:
`sudo service keepalived restart`
(This usually makes the paired machine take over if issued on the current master.)

### How do I stop it

If the load balancer is malfunctioning, stop the bad one: `sudo service keepalived stop`.
"""

DOCKER = """\
# Known issues

## Docker registry is full

Delete old images with `docker image prune -a` and restart the registry container.
"""


def test_a_weak_first_answer_says_which_words_it_lacks(tmp_path):
    """lincytv/dataops: "how do I restart the message bus monitor" was answered with the load
    balancers' "How do I restart it" as if it were the answer; no page mentions the monitor. When the
    first answer shares at most one word with the question, a notice names the words it lacks.
    A question it answers gets none."""
    root = tmp_path / "dataops"
    commit_history(root, [{"docs/ops/loadbalancer.md": LOADBALANCER, "docs/ops/workarounds.md": DOCKER}])
    index(root)
    answer = ask_json(root, "how do I restart the message bus monitor")
    assert answer["results"][0]["heading"] == "How do I restart it"
    assert [n for n in answer["notices"] if n.startswith("weak match")] == [
        "weak match: the first answer does not mention 'message', 'bus', 'monitor' from the question; "
        "no runbook may cover it"]
    answer = ask_json(root, "how do I restart the load balancer")
    assert answer["results"][0]["heading"] == "How do I restart it"
    assert [n for n in answer["notices"] if n.startswith("weak match")] == []


def test_a_list_of_links_cut_into_parts_still_hands_over_to_the_page_it_links(tmp_path):
    """GOV.UK's "Help with publishing content" is one section (no headings) longer than a chunk: a
    list of links, cut in two. Its second part ranked first (it shares the first part's word pairs)
    and, starting mid-list, was no list of links: the page it links answered second. Judged with the
    first part, it is a list of links, and the linked page answers first, whole."""
    root = tmp_path / "govuk"
    files = {f"source/manual/{name}.html.md": (DATA / f"govuk-{name}.html.md").read_text(encoding="utf-8") for name in (
        "help-with-publishing-content", "documents-arent-live-after-publishing",
        "debug-docs-showing-incorrectly-in-site-search", "where-to-find-what")}
    commit_history(root, [{"rbh.yaml": 'runbooks:\n  include: ["source/**/*.html.md"]\n', **files}])
    index(root)
    results = ask_json(root, "documents are published but not showing on the live site")["results"]
    assert [(r["path"].rsplit("/", 1)[1], r["line"], r["procedure"] is not None) for r in results[:2]] == [
        ("documents-arent-live-after-publishing.html.md", 8, True), ("help-with-publishing-content.html.md", 42, False)]
