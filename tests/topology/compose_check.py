#!/usr/bin/env python3
"""Checks docker-compose.yml against docker/conf/*.conf.json and the Dockerfile.

No Docker engine is needed: the file is parsed with PyYAML and the topology it describes is
compared with the node configurations (the hosts each node names must be the services' fixed
addresses, the backend host must be a service the node waits for, and so on). Exits 77 (skipped)
when PyYAML is not installed, 1 with one line per problem otherwise.

    compose_check.py REPO_ROOT
"""
import ipaddress
import json
import os
import re
import sys

try:
    import yaml
except ImportError:
    print("skipped: python3-yaml is not installed")
    sys.exit(77)

root = sys.argv[1] if len(sys.argv) > 1 else "."
problems = []


def problem(text):
    problems.append(text)


with open(os.path.join(root, "docker-compose.yml")) as f:
    compose = yaml.safe_load(f)

services = compose.get("services", {})
nodes = sorted(name for name in services if re.fullmatch(r"node\d+", name))
if nodes != ["node1", "node2", "node3"]:
    problem(f"expected services node1, node2, node3; found {nodes}")
if "mariadb" not in services:
    problem("no mariadb service")

subnets = [ipaddress.ip_network(c["subnet"])
           for net in compose.get("networks", {}).values() if net
           for c in (net.get("ipam", {}) or {}).get("config", [])]

# Fixed addresses of the services.
address_of = {}
for name, service in services.items():
    for net in (service.get("networks") or {}).values():
        if net and "ipv4_address" in net:
            ip = ipaddress.ip_address(net["ipv4_address"])
            address_of[name] = str(ip)
            if not any(ip in s for s in subnets):
                problem(f"{name}: {ip} is outside the network's subnets {subnets}")
if len(set(address_of.values())) != len(address_of):
    problem(f"services share an address: {address_of}")

with open(os.path.join(root, "Dockerfile")) as f:
    stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", f.read(), re.IGNORECASE | re.MULTILINE)

host_ports = set()
for name in nodes:
    service = services[name]
    if service.get("hostname") != name:
        problem(f"{name}: hostname is {service.get('hostname')!r}")
    target = (service.get("build") or {}).get("target")
    if target not in stages:
        problem(f"{name}: build target {target!r} is not a Dockerfile stage {stages}")
    if stages and stages[-1] != target:
        problem(f"{name}: the node stage should be the Dockerfile's last (default) stage")

    hosts = {}
    for entry in service.get("extra_hosts", []):
        host, _, ip = entry.partition(":")
        hosts[host] = ip
    for other, ip in address_of.items():
        if hosts.get(other) != ip:
            problem(f"{name}: extra_hosts maps {other} to {hosts.get(other)}, the service has {ip}")

    config_file = None
    for volume in service.get("volumes", []):
        source, _, rest = volume.partition(":")
        if rest.startswith("/etc/orcraft/orcraft.conf.json"):
            config_file = os.path.join(root, source)
    if config_file is None:
        problem(f"{name}: no configuration mounted at /etc/orcraft/orcraft.conf.json")
        continue
    if os.path.normpath(config_file) != os.path.join(root, "docker", "conf", f"{name}.conf.json"):
        problem(f"{name}: mounts {config_file}, expected docker/conf/{name}.conf.json")
    with open(config_file) as f:
        config = json.load(f)

    if config.get("RaftAdvertise") != name:
        problem(f"{name}: RaftAdvertise is {config.get('RaftAdvertise')!r}")
    members = [m.split(":")[0] for m in config.get("RaftNodes", [])]
    if sorted(members) != nodes:
        problem(f"{name}: RaftNodes {members} are not the node services {nodes}")
    listen_port = config.get("ListenAddress", ":3000").rsplit(":", 1)[1]
    for mapping in service.get("ports", []):
        parts = str(mapping).split(":")
        if parts[-1] != listen_port:
            problem(f"{name}: publishes container port {parts[-1]}, the API listens on {listen_port}")
        if parts[-2] in host_ports:
            problem(f"{name}: host port {parts[-2]} published twice")
        host_ports.add(parts[-2])
    test = " ".join(service.get("healthcheck", {}).get("test", []))
    if "raft-health" not in test or f"127.0.0.1:{listen_port}" not in test:
        problem(f"{name}: health check {test!r} does not ask raft-health on the API port")

    backend = config.get("BackendDB", "mysql")
    if "sqlite" not in backend:
        db_host = config.get("MySQLOrchestratorHost")
        if db_host not in services:
            problem(f"{name}: MySQLOrchestratorHost {db_host!r} is not a service")
        condition = (service.get("depends_on") or {}).get(db_host, {}).get("condition")
        if condition != "service_healthy":
            problem(f"{name}: does not wait for {db_host} to be healthy")
        password = config.get("MySQLOrchestratorPassword", "")
        variable = re.fullmatch(r"\$\{(\w+)\}", password)
        if not variable or variable.group(1) not in (service.get("environment") or {}):
            problem(f"{name}: the database password {password!r} is not an environment variable "
                    "the service sets")
        if not config.get("MySQLOrchestratorDatabase", "").startswith("orcraft_"):
            problem(f"{name}: database name must start with orcraft_ (the user's grant)")

mariadb = services.get("mariadb", {})
if (mariadb.get("build") or {}).get("target") not in stages:
    problem("mariadb: its build target is not a Dockerfile stage")
if "ORCRAFT_DB_PASSWORD" not in (mariadb.get("environment") or {}):
    problem("mariadb: ORCRAFT_DB_PASSWORD is not set")

for p in problems:
    print(p)
if problems:
    sys.exit(1)
print(f"docker-compose.yml: {len(nodes)} nodes and mariadb, consistent with docker/conf")
