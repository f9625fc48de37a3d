// deploy/kubernetes offline: renders the kustomize base with `kubectl kustomize`, validates
// every object against the Kubernetes 1.27 schemas (npm kubernetes-models, pinned in this
// folder's package-lock.json), and asserts the rules deploy/README.md states: at least two
// server replicas, Kubernetes' native gRPC probes, a headless Service, a PodDisruptionBudget
// and a NetworkPolicy matching the server pods, a restricted securityContext on every pod and
// container, resources everywhere, the DSN only from a Secret, and the migrations Job.
//   node --test tests/deploy/kubernetes.test.mjs
//   env: KUBECTL (default: kubectl on PATH), KNEECOACH_KUSTOMIZE_DIR (default: deploy/kubernetes)
// tests/deploy/kubernetes_test.sh checks the prerequisites first and names what is missing.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const dir = process.env.KNEECOACH_KUSTOMIZE_DIR ?? join(repo, "deploy", "kubernetes");
const kubectl = process.env.KUBECTL ?? "kubectl";

const rendered = execFileSync(kubectl, ["kustomize", dir], { encoding: "utf8" });
const objects = parseAllDocuments(rendered).map((doc) => {
  assert.deepEqual(doc.errors, [], "kubectl kustomize printed YAML that does not parse");
  return doc.toJS();
}).filter((o) => o !== null);

const id = (o) => `${o.kind}/${o.metadata?.name}`;
const byKind = (kind) => objects.filter((o) => o.kind === kind);
const component = (o) => o.metadata?.labels?.["app.kubernetes.io/component"];
const podTemplates = () => objects
  .filter((o) => ["Deployment", "StatefulSet", "DaemonSet", "Job"].includes(o.kind))
  .map((o) => ({ owner: id(o), spec: o.spec.template.spec, labels: o.spec.template.metadata?.labels ?? {} }))
  .concat(byKind("CronJob").map((o) => ({
    owner: id(o), spec: o.spec.jobTemplate.spec.template.spec,
    labels: o.spec.jobTemplate.spec.template.metadata?.labels ?? {},
  })));
const containersOf = (spec) => [...(spec.initContainers ?? []), ...spec.containers];
// matchLabels selects labels when each of its pairs is among them (no matchExpressions here).
const selects = (selector, labels) => {
  assert.equal(selector.matchExpressions, undefined, "selectors here use matchLabels only");
  const pairs = Object.entries(selector.matchLabels ?? selector);
  return pairs.length > 0 && pairs.every(([k, v]) => labels[k] === v);
};

const server = () => {
  const found = byKind("Deployment").filter((d) => component(d) === "server");
  assert.equal(found.length, 1, "one Deployment labelled app.kubernetes.io/component: server");
  return found[0];
};
const serverLabels = () => server().spec.template.metadata.labels;
const grpcPort = () => {
  const ports = server().spec.template.spec.containers.flatMap((c) => c.ports ?? [])
    .filter((p) => p.name === "grpc");
  assert.equal(ports.length, 1, "the server container names its gRPC port 'grpc'");
  return ports[0].containerPort;
};

test("renders objects of the expected kinds, each named once", () => {
  const kinds = new Set(objects.map((o) => o.kind));
  for (const kind of ["Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy", "Job"]) {
    assert.ok(kinds.has(kind), `no ${kind} in the rendered base`);
  }
  const ids = objects.map(id);
  assert.deepEqual(ids.filter((x, i) => ids.indexOf(x) !== i), [], "objects rendered twice");
});

test("every object is valid against the Kubernetes schemas (kubernetes-models)", async () => {
  for (const o of objects) {
    assert.ok(o.apiVersion && o.kind, `an object without apiVersion or kind: ${JSON.stringify(o)}`);
    let models;
    try {
      models = await import(`kubernetes-models/${o.apiVersion}`);
    } catch (e) {
      assert.fail(`${id(o)}: no schema for apiVersion ${o.apiVersion} (${e.message})`);
    }
    const Model = models[o.kind];
    assert.ok(Model, `${id(o)}: kubernetes-models has no ${o.kind} in ${o.apiVersion}`);
    try {
      new Model(o).validate();
    } catch (e) {
      assert.fail(`${id(o)} does not match the ${o.apiVersion} ${o.kind} schema: ${e.message}`);
    }
  }
});

test("the server runs at least two replicas, rolling without a gap", () => {
  const d = server();
  assert.ok(Number.isInteger(d.spec.replicas) && d.spec.replicas >= 2,
    `${id(d)}: replicas is ${d.spec.replicas}; at least 2, so one pod's loss never stops the service`);
  assert.equal(d.spec.strategy?.rollingUpdate?.maxUnavailable, 0,
    `${id(d)}: a rolling update keeps every replica until its successor is ready (maxUnavailable: 0)`);
});

test("the server's probes are Kubernetes' native gRPC probes on its gRPC port", () => {
  const port = grpcPort();
  for (const c of server().spec.template.spec.containers) {
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
      const p = c[probe];
      assert.ok(p, `container ${c.name} has no ${probe}`);
      assert.deepEqual(Object.keys(p).filter((k) => ["grpc", "httpGet", "tcpSocket", "exec"].includes(k)),
        ["grpc"], `container ${c.name}: ${probe} must be a grpc probe (grpc.health.v1)`);
      assert.equal(p.grpc.port, port, `container ${c.name}: ${probe} asks port ${p.grpc.port}, not ${port}`);
    }
    // Readiness follows the database (the overall status); liveness only the process.
    assert.equal(c.readinessProbe.grpc.service ?? "", "", `container ${c.name}: readiness asks the overall status`);
    assert.equal(c.livenessProbe.grpc.service, "liveness",
      `container ${c.name}: liveness must ask "liveness", or a database outage restarts every replica`);
  }
});

test("the server's Service is headless: gRPC clients balance per call over every pod", () => {
  const services = byKind("Service").filter((s) => s.spec.selector && selects(s.spec.selector, serverLabels()));
  assert.ok(services.length >= 1, "no Service selects the server pods");
  for (const s of services) {
    assert.equal(s.spec.clusterIP, "None",
      `${id(s)}: clusterIP must be None: a ClusterIP pins each client's HTTP/2 connection to one pod`);
    assert.ok(s.spec.ports.some((p) => p.port === grpcPort()), `${id(s)} does not expose port ${grpcPort()}`);
  }
});

test("a PodDisruptionBudget covers the server pods and leaves some running", () => {
  const pdbs = byKind("PodDisruptionBudget").filter((p) => selects(p.spec.selector, serverLabels()));
  assert.equal(pdbs.length, 1, "exactly one PodDisruptionBudget must select the server pods' labels");
  const { minAvailable, maxUnavailable } = pdbs[0].spec;
  const replicas = server().spec.replicas;
  if (maxUnavailable !== undefined) {
    assert.ok(Number.isInteger(maxUnavailable) && maxUnavailable >= 1 && maxUnavailable < replicas,
      `${id(pdbs[0])}: maxUnavailable ${maxUnavailable} must let drains proceed and keep a replica`);
  } else {
    assert.ok(Number.isInteger(minAvailable) && minAvailable >= 1 && minAvailable < replicas,
      `${id(pdbs[0])}: minAvailable ${minAvailable} must keep a replica and let drains proceed`);
  }
});

test("a NetworkPolicy lets only the gateway and labelled clients reach the gRPC port", () => {
  const policies = byKind("NetworkPolicy").filter((n) => selects(n.spec.podSelector, serverLabels()));
  assert.equal(policies.length, 1, "exactly one NetworkPolicy must select the server pods");
  const np = policies[0];
  assert.deepEqual([...np.spec.policyTypes].sort(), ["Egress", "Ingress"],
    `${id(np)}: must restrict both ingress and egress`);
  assert.ok(np.spec.ingress?.length > 0, `${id(np)}: no ingress rule: nothing could call the server`);
  for (const rule of np.spec.ingress) {
    assert.deepEqual(rule.ports?.map((p) => p.port), [grpcPort()],
      `${id(np)}: ingress only on the gRPC port ${grpcPort()}`);
    assert.ok(rule.from?.length > 0, `${id(np)}: an ingress rule without "from" admits every pod`);
    for (const peer of rule.from) {
      assert.ok(peer.podSelector && Object.keys(peer.podSelector.matchLabels ?? {}).length > 0 &&
        !peer.ipBlock && !peer.namespaceSelector,
        `${id(np)}: ingress only from labelled pods of this namespace, not ${JSON.stringify(peer)}`);
    }
  }
  const gateway = byKind("Deployment").find((d) => component(d) === "gateway");
  if (gateway) {
    assert.ok(np.spec.ingress.some((r) => r.from.some((p) => selects(p.podSelector, gateway.spec.template.metadata.labels))),
      `${id(np)}: the gateway's pods cannot reach the server`);
  }
  const egressPorts = np.spec.egress.flatMap((r) => (r.ports ?? []).map((p) => p.port));
  assert.ok(np.spec.egress.every((r) => r.ports?.length > 0), `${id(np)}: an egress rule open on every port`);
  assert.ok(egressPorts.includes(5432), `${id(np)}: no egress to PostgreSQL (5432)`);
  assert.ok(egressPorts.includes(53), `${id(np)}: no egress to DNS (53)`);
  assert.deepEqual([...new Set(egressPorts)].sort((a, b) => a - b), [53, 5432],
    `${id(np)}: egress only to PostgreSQL and DNS`);
});

test("every pod and container runs restricted: non-root, read-only, no capabilities, seccomp", () => {
  const templates = podTemplates();
  assert.ok(templates.length >= 3, "expected the server, the gateway and the migrations Job");
  for (const { owner, spec } of templates) {
    const pod = spec.securityContext ?? {};
    assert.equal(pod.runAsNonRoot, true, `${owner}: pod securityContext.runAsNonRoot`);
    assert.ok(Number.isInteger(pod.runAsUser) && pod.runAsUser > 0, `${owner}: pod runAsUser non-zero`);
    assert.equal(pod.seccompProfile?.type, "RuntimeDefault", `${owner}: pod seccompProfile RuntimeDefault`);
    assert.equal(spec.automountServiceAccountToken, false, `${owner}: no Kubernetes API token mounted`);
    assert.ok(!spec.hostNetwork && !spec.hostPID && !spec.hostIPC, `${owner}: shares a host namespace`);
    for (const c of containersOf(spec)) {
      const where = `${owner} container ${c.name}`;
      const sc = c.securityContext ?? {};
      assert.equal(sc.runAsNonRoot, true, `${where}: securityContext.runAsNonRoot`);
      assert.ok(sc.runAsUser === undefined || sc.runAsUser > 0, `${where}: runAsUser 0`);
      assert.equal(sc.readOnlyRootFilesystem, true, `${where}: readOnlyRootFilesystem`);
      assert.equal(sc.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation false`);
      assert.notEqual(sc.privileged, true, `${where}: privileged`);
      assert.deepEqual(sc.capabilities?.drop, ["ALL"], `${where}: capabilities.drop [ALL]`);
      assert.equal(sc.capabilities?.add, undefined, `${where}: adds capabilities`);
      assert.equal(sc.seccompProfile?.type, "RuntimeDefault", `${where}: seccompProfile RuntimeDefault`);
      for (const kind of ["requests", "limits"]) {
        for (const r of ["cpu", "memory"]) {
          assert.ok(c.resources?.[kind]?.[r], `${where}: no resources.${kind}.${r}`);
        }
      }
    }
  }
});

test("the DSN comes from a Secret the operator creates, never a literal", () => {
  const text = JSON.stringify(objects);
  assert.doesNotMatch(text, /postgres(ql)?:\/\//i, "a postgresql:// DSN is written in the manifests");
  assert.doesNotMatch(text, /--store=/, "--store= on a command line: use --fromenv=store and a Secret");
  assert.deepEqual(byKind("Secret").map(id), [],
    "the base ships no Secret: the operator creates kneecoach-db (deploy/README.md)");
  for (const { owner, spec } of podTemplates()) {
    for (const c of containersOf(spec)) {
      for (const e of c.env ?? []) {
        if (/store|dsn|pass|secret|token/i.test(e.name)) {
          assert.ok(e.valueFrom?.secretKeyRef && e.value === undefined,
            `${owner} container ${c.name}: ${e.name} must come from a secretKeyRef`);
        }
      }
    }
  }
  for (const [owner, c] of [[id(server()), server().spec.template.spec.containers[0]],
    ...byKind("Job").map((j) => [id(j), j.spec.template.spec.containers[0]])]) {
    assert.ok((c.args ?? []).includes("--fromenv=store"), `${owner}: --fromenv=store reads the DSN`);
    const store = (c.env ?? []).find((e) => e.name === "FLAGS_store");
    assert.equal(store?.valueFrom?.secretKeyRef?.name, "kneecoach-db",
      `${owner}: FLAGS_store from the Secret kneecoach-db`);
  }
});

test("a Job runs the migrations with the server's image and store", () => {
  const jobs = byKind("Job").filter((j) =>
    j.spec.template.spec.containers.some((c) => [...(c.command ?? []), ...(c.args ?? [])].includes("--migrate_only")));
  assert.equal(jobs.length, 1, "one Job runs kneecoach-server --migrate_only");
  const job = jobs[0];
  const c = job.spec.template.spec.containers[0];
  assert.equal(c.image, server().spec.template.spec.containers[0].image,
    `${id(job)}: migrates with the image the replicas run`);
  assert.ok(["Never", "OnFailure"].includes(job.spec.template.spec.restartPolicy), `${id(job)}: restartPolicy`);
  assert.ok(Number.isInteger(job.spec.backoffLimit), `${id(job)}: bounded retries (backoffLimit)`);
  assert.ok(Number.isInteger(job.spec.activeDeadlineSeconds), `${id(job)}: bounded time (activeDeadlineSeconds)`);
  assert.ok(byKind("NetworkPolicy").some((n) => selects(n.spec.podSelector, job.spec.template.metadata.labels)),
    `${id(job)}: no NetworkPolicy selects the migrations pod`);
});

test("the gateway forwards to the headless Service", () => {
  const gateway = byKind("Deployment").find((d) => component(d) === "gateway");
  assert.ok(gateway, "no gateway Deployment");
  const env = Object.fromEntries(gateway.spec.template.spec.containers[0].env.map((e) => [e.name, e.value]));
  const headless = byKind("Service").find((s) => s.spec.clusterIP === "None");
  assert.equal(env.KNEECOACH_BACKEND, `http://${headless.metadata.name}:${grpcPort()}`);
  assert.ok(gateway.spec.replicas >= 2, `${id(gateway)}: at least two gateway replicas`);
  assert.ok(byKind("NetworkPolicy").some((n) => selects(n.spec.podSelector, gateway.spec.template.metadata.labels)),
    `${id(gateway)}: no NetworkPolicy selects the gateway`);
});
