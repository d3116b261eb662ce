"""A compose document → the plan of what an import creates, or why it cannot."""

import textwrap

from core.domain.compose.graph import graph
from core.domain.compose.plan import Choices, RegistryFacts, ServiceChoice, make_plan

HUB = RegistryFacts(id=1, name="Docker Hub", url="https://registry-1.docker.io", is_default=True)
GHCR = RegistryFacts(id=2, name="ghcr", url="https://ghcr.io")
LOCAL = RegistryFacts(id=3, name="local", url="http://127.0.0.1:5000/team")


def plan(text, choices=None, registries=(HUB, GHCR, LOCAL)):
    return make_plan(textwrap.dedent(text), choices or Choices(), list(registries), "shop")


def test_a_three_tier_stack_becomes_nodes_edges_and_secrets():
    found = plan(
        """
        services:
          web:
            image: ghcr.io/acme/web:1.2
            ports: ["8080:8000", "9000"]
            environment: {API: "http://api:3000", SESSION_SECRET: s3cret}
            depends_on: {api: {condition: service_healthy}}
            deploy: {resources: {limits: {cpus: "0.5", memory: 256M}}}
          api:
            image: 127.0.0.1:5000/team/api:7
            command: ["server.js", "--port", "3000"]
            entrypoint: [node]
            expose: ["3000"]
            healthcheck:
              test: ["CMD", "wget", "-qO-", "http://localhost:3000/health"]
              interval: 5s
              retries: 4
            depends_on: [db]
          db:
            image: postgres:16
            environment: [POSTGRES_PASSWORD=pw, POSTGRES_DB=app]
            healthcheck: {test: "pg_isready", interval: 2s}
        """
    )
    assert found.ok, (found.refused, found.problems)
    web, api, db = found.nodes
    assert (web.registry_id, web.image, web.tag, web.port) == (2, "acme/web", "1.2", 8000)
    assert (web.cpu, web.memory_mb) == (0.5, 256)
    assert web.env == {
        "API": "http://api:3000",
        "SESSION_SECRET": "${{ secrets.WEB_SESSION_SECRET }}",
    }
    assert found.secret_values == {"WEB_SESSION_SECRET": "s3cret", "DB_POSTGRES_PASSWORD": "pw"}
    assert (api.registry_id, api.image, api.tag) == (3, "api", "7")
    assert (api.entrypoint, api.command) == ("node", "server.js --port 3000")
    assert api.health == {"type": "http", "path": "/health", "timeout_s": 140.0}
    assert api.health_command == "wget -qO- http://localhost:3000/health"
    assert (api.interval_s, api.retries) == (5, 4)
    assert (db.registry_id, db.image, db.port, db.health) == (1, "postgres", None, None)
    assert any("9000 stay reachable inside" in n for n in found.notes)
    built = graph(found, {"web": 10, "api": 11, "db": 12})
    assert built["edges"] == [{"from": "api", "to": "web"}, {"from": "db", "to": "api"}]
    assert built["nodes"][0]["config"]["service_id"] == 10
    assert built["nodes"][1]["config"]["entrypoint"] == "node"
    assert built["layout"]["db"]["x"] < built["layout"]["api"]["x"] < built["layout"]["web"]["x"]


def test_what_shoal_cannot_represent_is_listed_line_by_line_and_nothing_planned():
    found = plan(
        """
        services:
          app:
            build: .
            image: app
            privileged: true
            network_mode: host
            volumes: ["./src:/src", "/var/run/docker.sock:/var/run/docker.sock"]
            extends: {file: base.yml, service: base}
            sysctls: {net.core.somaxconn: 1024}
        """
    )
    assert not found.ok
    assert [line.split(":")[0] for line in found.refused] == [
        "services.app.extends",
        "services.app.build",
        "services.app.privileged",
        "services.app.network_mode",
        "services.app.sysctls",
        "services.app.volumes",
        "services.app.volumes",
    ]


def test_names_that_are_not_dns_labels_are_mapped():
    found = plan(
        """
        services:
          My_App: {image: busybox, depends_on: [redis.cache]}
          redis.cache: {image: redis}
          my-app: {image: busybox}
        """
    )
    assert found.ok
    assert found.renamed == {"My_App": "my-app-2", "redis.cache": "redis-cache"}
    assert [n.node_id for n in found.nodes] == ["my-app-2", "redis-cache", "my-app"]
    assert found.nodes[0].after == ["redis-cache"]


def test_cycles_duplicate_ports_and_unknown_dependencies_are_problems():
    found = plan(
        """
        services:
          a: {image: busybox, depends_on: [b], ports: ["8080:80"]}
          b: {image: busybox, depends_on: [c]}
          c: {image: busybox, depends_on: [a, ghost], ports: ["8080:81"]}
        """
    )
    assert "depends_on: a cycle: a → b → c → a." in found.problems
    assert "services.c.depends_on: there is no service 'ghost'." in found.problems
    assert "services.c.ports: host port 8080 is already published by 'a'." in found.problems
    assert not found.ok


def test_an_image_without_registry_host_needs_a_default_registry():
    found = plan("services: {web: {image: nginx}}", registries=[GHCR])
    assert found.problems == [
        "services.web.image: 'nginx' names no registry host and there is no default "
        "registry; pick its registry."
    ]
    chosen = plan(
        "services: {web: {image: nginx}}",
        Choices(services={"web": ServiceChoice(registry_id=2)}),
        registries=[GHCR],
    )
    assert chosen.ok and chosen.nodes[0].registry_id == 2


def test_an_unknown_registry_host_is_a_problem():
    found = plan("services: {web: {image: quay.io/x/y:1}}")
    assert "no registry is set up for quay.io" in found.problems[0]


def test_a_literal_shoal_reference_is_refused():
    found = plan("services: {web: {image: busybox, environment: {A: '$${{ secrets.X }}'}}}")
    assert "would be read as a Shoal reference" in found.problems[0]


def test_profiles_choose_what_is_imported():
    text = """
        services:
          web: {image: busybox}
          debug: {image: busybox, profiles: [debug], depends_on: [web]}
          seed: {image: busybox, profiles: [tools]}
          needs-seed: {image: busybox, depends_on: [seed]}
        """
    found = plan(text)
    assert found.profiles == ["debug", "tools"]
    assert found.left_out == ["debug", "seed"]
    assert found.problems == [
        "services.needs-seed.depends_on: 'seed' is left out by the active profiles."
    ]
    with_tools = plan(text, Choices(profiles=["tools"]))
    assert with_tools.ok and [n.node_id for n in with_tools.nodes] == ["web", "seed", "needs-seed"]


def test_choices_pick_secrets_selectable_tags_and_catalog_names():
    found = plan(
        """
        services:
          web:
            image: ghcr.io/acme/web:1.2
            environment: {API_KEY: k, PLAIN: p}
        """,
        Choices(
            secrets=["web.PLAIN"],
            services={"web": ServiceChoice(catalog_name="acme-web", selectable=True)},
        ),
    )
    node = found.nodes[0]
    assert node.env == {"API_KEY": "k", "PLAIN": "${{ secrets.WEB_PLAIN }}"}
    assert (node.catalog_name, node.selectable, node.tag_pattern) == ("acme-web", True, "*")


def test_env_files_come_from_the_form_and_extends_within_the_file_merge():
    text = """
        x-base: &base {image: busybox, environment: {A: "1"}}
        services:
          base: *base
          child: {extends: {service: base}, env_file: [.env], environment: {B: "2"}}
        """
    missing = plan(text)
    assert missing.refused == [
        "services.child.env_file: give the content of '.env' in the import form."
    ]
    assert missing.env_files == [".env"]
    given = plan(text, Choices(env_files={".env": "# c\nexport C='3'\nA=0\n"}))
    assert given.ok
    assert given.nodes[1].env == {"A": "1", "C": "3", "B": "2"}


def test_variables_come_from_the_admin():
    found = plan("services: {web: {image: 'busybox:${TAG:-1.36}', command: 'echo ${WHO}'}}")
    assert found.variables == ["TAG", "WHO"]
    assert found.problems == [
        "services.web.command: the variable WHO has no value (give one, or a default)."
    ]
    given = plan(
        "services: {web: {image: 'busybox:${TAG:-1.36}', command: 'echo ${WHO}'}}",
        Choices(variables={"WHO": "me"}),
    )
    assert given.ok and given.nodes[0].command == "echo me" and given.nodes[0].tag == "1.36"


def test_named_volumes_become_the_deployments_volumes():
    found = plan(
        """
        services:
          db: {image: "postgres:16", volumes: ["pgdata:/var/lib/postgresql/data", "/scratch"]}
          backup:
            image: busybox
            volumes: [{type: volume, source: pgdata, target: /backup, read_only: true}]
        volumes: {pgdata: {}}
        """
    )
    assert found.ok
    built = graph(found, {"db": 1, "backup": 2})
    assert [n["config"]["volumes"] for n in built["nodes"]] == [
        [{"name": "pgdata", "path": "/var/lib/postgresql/data"}],
        [{"name": "pgdata", "path": "/backup", "read_only": True}],
    ]


def test_an_unfilled_image_variable_is_one_problem_not_many():
    found = plan("services: {api: {image: 'ghcr.io/acme/api:${TAG:?set TAG}'}}")
    assert found.problems == ["services.api.image: TAG is required: set TAG."]
