#!/usr/bin/env bash
# PCKit as a versioned dependency: clones this repository's committed HEAD to a temporary
# directory, tags it 1.0.0, builds a small package that depends on it with
# `.package(url: "file://…", from: "1.0.0")` (debug, only the products it uses), and runs an
# executable that swings up the pendulum with PCAgents' PredictiveController on PCSims. Passes when
# the pendulum ends upright and, if PCCTL names a built pcctl, the return equals
# `pcctl run pendulum --episodes 1 --seed 0` (the same agent and start through the CLI).
#
# It checks what a versioned dependency needs: the manifest's tools version lets SwiftPM accept
# the kernels' unsafe flags from a tagged package, and PCKit's own dependencies resolve. It tests
# the committed HEAD: uncommitted changes are not in the clone.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
swift="${SWIFT:-swift}"
fail() { echo "Tests/package/run.sh: FAILED: $*" >&2; exit 1; }

head="$(git -C "$repo" rev-parse HEAD)" || fail "$repo is not a git repository"
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
  echo "note: uncommitted changes in $repo are not tested (the clone has HEAD $head)"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/pckit-package-test.XXXXXX")"
trap 'rm -rf "$work"' EXIT

git clone --quiet "$repo" "$work/PCKit" || fail "cannot clone $repo"
git -C "$work/PCKit" checkout --quiet --detach "$head" || fail "cannot check out $head"
git -C "$work/PCKit" tag 1.0.0 || fail "cannot tag the clone"

mkdir -p "$work/consumer/Sources/consumer"
cat > "$work/consumer/Package.swift" <<MANIFEST
// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "consumer",
    dependencies: [.package(url: "file://$work/PCKit", from: "1.0.0")],
    targets: [
        .executableTarget(name: "consumer", dependencies: [
            .product(name: "PCAgents", package: "PCKit"),
            .product(name: "PCSims", package: "PCKit"),
        ]),
    ]
)
MANIFEST
cat > "$work/consumer/Sources/consumer/main.swift" <<'SOURCE'
import PCAgents
import PCSims

// PCKit's pendulum swing-up from Gymnasium's seed-0 start.
var agent = try PredictiveController(model: FiniteDifferenceLinearization(PendulumModel.gymnasium),
                                     options: .pendulumSwingUp)
var environment = Pendulum()
var observation = try environment.reset(state: GymnasiumInitialStates.pendulum[0])
agent.reset(seed: 0)
var action = [0.0], total = 0.0
for _ in 0..<Pendulum.episodeSteps {
    _ = agent.step(observation, action: &action)
    total += try environment.step(action, observation: &observation).reward
}
print("return \(total) upright \(abs(wrapAngle(environment.angle)) < 0.1)")
SOURCE

echo "building a package that depends on PCKit 1.0.0 (HEAD $head) …"
# No shared dependency cache: each run's clone has a new temporary URL.
if ! (cd "$work/consumer" && "$swift" build --disable-dependency-cache --product consumer >"$work/build.log" 2>&1); then
  tail -n 40 "$work/build.log" >&2
  fail "the dependent package did not build (log above)"
fi
output="$("$work/consumer/.build/debug/consumer")" || fail "the dependent package's executable failed: $output"
echo "dependent package: $output"
read -r _ value _ upright <<<"$output"
[ "$upright" = "true" ] || fail "the pendulum did not end upright: $output"

if [ -n "${PCCTL:-}" ]; then
  expected="$("$PCCTL" run pendulum --episodes 1 --seed 0 --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["returns"][0])')" \
    || fail "pcctl run pendulum failed"
  python3 -c "import sys; v, e = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if abs(v - e) <= 0.05 else 1)" "$value" "$expected" \
    || fail "return $value differs from pcctl's $expected"
  echo "pcctl run pendulum --episodes 1 --seed 0: return $expected (agrees)"
fi
echo "package test passed: PCKit 1.0.0 builds and runs as a versioned dependency"
