#!/usr/bin/env bash
# Pre-release check: README's two commands on a brand-new Debian 12 machine, from a clean
# clone. Manual and slow (about 40 minutes on 2 cores: apt installs and a cold build without
# ccache), so CI does not run it; run it before resolving an issue that changes set-up and
# give its time and CTest summary line in the closing note. Runs as root (mmdebstrap, chroot,
# mounts).
#
#   scripts/fresh-machine-check.sh [COMMIT]      # default HEAD; only committed work is checked
#
# 1. A Debian 12 (bookworm) root file system, made with mmdebstrap from this machine's apt
#    sources (/etc/apt/sources.list.d) and apt settings, and cached as a tarball in CACHE
#    (default /var/tmp/kneecoach-fresh; made again when the sources, the package list or
#    this machine's node change): Debian's "important" set plus what a new machine of this
#    kind already has: build-essential (g++), cmake, git, python3, ca-certificates, and Node
#    20 with npm as this machine has them (its nodesource nodejs package is not in the apt
#    sources: it is repacked from the installed files, the npm it now holds included).
# 2. Each run unpacks a pristine copy of it and adds this machine's certificate authorities
#    (/usr/local/share/ca-certificates, and the SSL_CERT_FILE, NODE_EXTRA_CA_CERTS, ... it
#    sets), its npm settings (~/.npmrc, npm's global npmrc), resolv.conf and hosts, so that
#    the registries answer inside as they do outside; then `git clone`s the repository at
#    COMMIT into /root/kneecoach.
# 3. In a chroot with /proc, /sys, /dev, /dev/pts and /dev/shm mounted (always unmounted and
#    every process left inside stopped on exit): `scripts/run.sh` in the background until
#    `build/clients/cli/kneecoach exercises list` answers with the demo physiotherapist's
#    token from var/demo-credentials, then stops it; then `scripts/test.sh`.
# Prints each step's time and CTest's summary line; exits non-zero when either command
# fails. Logs go to CACHE/logs/. KEEP=1 keeps the run's root file system (CACHE/run.*).
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "fresh-machine-check: run as root (mmdebstrap, chroot, mount)" >&2; exit 2; }
# mmdebstrap (Debian's package of it) makes the root file system; a new machine lacks it.
if ! command -v mmdebstrap >/dev/null 2>&1; then
  echo "fresh-machine-check: installing mmdebstrap" >&2
  apt-get install -y --no-install-recommends mmdebstrap >/dev/null
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
commit=$(git -C "$repo" rev-parse --verify "${1:-HEAD}^{commit}")
cache=${CACHE:-/var/tmp/kneecoach-fresh}
mkdir -p "$cache/logs"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
log=$cache/logs/$stamp
started=$SECONDS
step_start=$SECONDS
step() {
  printf 'fresh-machine-check: %-44s %4d s\n' "$1" $((SECONDS - step_start))
  step_start=$SECONDS
}
[ -z "$(git -C "$repo" status --porcelain --untracked-files=no)" ] ||
  echo "fresh-machine-check: note: uncommitted changes in $repo are not checked"
echo "fresh-machine-check: $(git -C "$repo" log -1 --format='%h %s' "$commit"), logs $log-*"

# --- 1. the cached base root file system -----------------------------------------------------
base_packages=build-essential,g++,cmake,git,python3,ca-certificates
mapfile -t sources < <(ls /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list \
  /etc/apt/sources.list 2>/dev/null)
[ ${#sources[@]} -gt 0 ] || { echo "fresh-machine-check: no apt sources on this machine" >&2; exit 1; }
# apt settings of this machine that no package installed (e.g. Check-Valid-Until for a
# snapshot mirror). Those running commands (Post-Invoke) would run outside the chroot while
# mmdebstrap works, so they go into the run's root file system only.
apt_conf=()
for f in /etc/apt/apt.conf.d/*; do
  [ -f "$f" ] && ! dpkg-query -S "$f" >/dev/null 2>&1 && apt_conf+=("$f")
done
aptopts=()
for f in "${apt_conf[@]}"; do grep -qi invoke "$f" || aptopts+=("--aptopt=$f"); done
node_version=$(dpkg-query -W -f='${Version}' nodejs)
npm_version=$(npm --version)
# The cache key: what goes into the base (recipe names the way it is made; bump it when
# that changes).
recipe=1
key=$(cat "${sources[@]}" "${apt_conf[@]}" \
  <(echo "recipe $recipe $base_packages nodejs $node_version npm $npm_version") |
  sha256sum | cut -c1-12)
base=$cache/bookworm-base-$key.tar
if [ ! -f "$base" ]; then
  echo "fresh-machine-check: making the base root file system (cached as $base)"
  work=$(mktemp -d "$cache/base.XXXXXX")
  # This machine's nodejs (nodesource 20.x with npm upgraded in place) as a package.
  pkg=$work/nodejs
  mkdir -p "$pkg/DEBIAN"
  { dpkg-query -L nodejs; find /usr/lib/node_modules/npm /usr/lib/node_modules/corepack; } |
    sort -u | while IFS= read -r f; do
      [ "$f" != /. ] && { [ -e "$f" ] || [ -L "$f" ]; } && printf '%s\n' "${f#/}"
    done >"$work/files"
  tar -C / --no-recursion -cf - -T "$work/files" | tar -C "$pkg" -xpf -
  dpkg-query -W -f='Package: ${Package}\nVersion: ${Version}\nArchitecture: ${Architecture}
Maintainer: ${Maintainer}\nInstalled-Size: ${Installed-Size}\nDepends: ${Depends}
Provides: ${Provides}\nConflicts: ${Conflicts}\nReplaces: ${Replaces}\nSection: ${Section}
Priority: ${Priority}\nHomepage: ${Homepage}\nDescription: ${Description}\n' nodejs \
    >"$pkg/DEBIAN/control"
  for script in preinst postinst prerm postrm; do
    [ -f "/var/lib/dpkg/info/nodejs.$script" ] && cp "/var/lib/dpkg/info/nodejs.$script" "$pkg/DEBIAN/"
  done
  dpkg-deb --root-owner-group -Zgzip -z1 -b "$pkg" "$work/nodejs.deb" >/dev/null
  rm -rf "$pkg"
  mmdebstrap --variant=important --include="$base_packages" "${aptopts[@]}" \
    --customize-hook="copy-in $work/nodejs.deb /tmp" \
    --customize-hook='chroot "$1" dpkg -i /tmp/nodejs.deb' \
    --customize-hook='rm -f "$1/tmp/nodejs.deb"' \
    bookworm "$work/base.tar" "${sources[@]}" >"$log-bootstrap.log" 2>&1 ||
    { tail -n 30 "$log-bootstrap.log"; rm -rf "$work"; exit 1; }
  mv "$work/base.tar" "$base"
  rm -rf "$work"
  step "base root file system made"
else
  step "base root file system cached"
fi

# --- 2. a pristine copy, this machine's certificates and settings, the clone ----------------
root=$(mktemp -d "$cache/run.XXXXXX")
mounted=()
chroot_pids() {
  local p
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && echo "${p#/proc/}"
  done
  return 0
}
cleanup() {
  local status=$? pids i
  # Whatever this script left running inside (a server, a build): stopped by process id.
  pids=$(chroot_pids)
  if [ -n "$pids" ]; then
    kill $pids 2>/dev/null || true
    sleep 2
    pids=$(chroot_pids)
    [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
  fi
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" || true
  done
  # Anything a test mounted inside and left behind (the fault tests mount a tmpfs), deepest
  # first.
  awk -v root="$root/" 'index($2, root) == 1 { print $2 }' /proc/mounts | sort -r |
    while IFS= read -r m; do umount -l "$m" || true; done
  if grep -q " $root/" /proc/mounts; then
    echo "fresh-machine-check: still mounted under $root, left in place:" >&2
    grep " $root/" /proc/mounts >&2
  elif [ "${KEEP:-0}" = 1 ]; then
    echo "fresh-machine-check: root file system kept in $root"
  else
    rm -rf --one-file-system "$root"
  fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM
tar -C "$root" -xpf "$base"

for f in /usr/local/share/ca-certificates/*; do
  [ -e "$f" ] && cp -a "$f" "$root/usr/local/share/ca-certificates/"
done
[ ${#apt_conf[@]} -eq 0 ] || cp "${apt_conf[@]}" "$root/etc/apt/apt.conf.d/"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
cp /etc/hosts "$root/etc/hosts"
[ -f "$HOME/.npmrc" ] && cp -p "$HOME/.npmrc" "$root/root/.npmrc"
npm_global=$(npm config get globalconfig 2>/dev/null || true)
if [ -n "$npm_global" ] && [ -f "$npm_global" ]; then
  mkdir -p "$root$(dirname "$npm_global")"
  cp -p "$npm_global" "$root$npm_global"
fi
chroot "$root" update-ca-certificates >/dev/null 2>&1
# What this machine's environment says about certificates and proxies, passed on; a file
# it names that is not in the root file system yet is copied in.
env_in=(HOME=/root USER=root LOGNAME=root TERM=dumb LANG=C.UTF-8
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
for v in SSL_CERT_FILE SSL_CERT_DIR NODE_EXTRA_CA_CERTS CURL_CA_BUNDLE REQUESTS_CA_BUNDLE \
         GIT_SSL_CAINFO PIP_CERT GRPC_DEFAULT_SSL_ROOTS_FILE_PATH \
         http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
  [ -n "${!v:-}" ] || continue
  env_in+=("$v=${!v}")
  if [[ "${!v}" == /* ]] && [ -f "${!v}" ] && [ ! -e "$root${!v}" ]; then
    mkdir -p "$root$(dirname "${!v}")"
    cp -L "${!v}" "$root${!v}"
  fi
done
git clone --quiet --no-checkout "$repo" "$root/root/kneecoach"
git -C "$root/root/kneecoach" checkout --quiet --detach "$commit"
step "pristine copy unpacked, clone at ${commit:0:10}"

mount_in() {  # mount_in TARGET MOUNT-ARGS...
  local target=$root$1
  shift
  mount "$@" "$target"
  mounted+=("$target")
}
mount_in /proc -t proc proc
mount_in /sys -t sysfs sysfs
mount_in /dev --bind /dev
mount_in /dev/pts --bind /dev/pts
mount_in /dev/shm -t tmpfs -o mode=1777 shm
in_chroot() { chroot "$root" env -i "${env_in[@]}" bash -c "cd /root/kneecoach && $1"; }

# --- 3. README's first command, until the server answers the CLI ---------------------------
setsid chroot "$root" env -i "${env_in[@]}" bash -c 'cd /root/kneecoach && exec scripts/run.sh' \
  >"$log-run.log" 2>&1 &
run_pid=$!
answered=0
for _ in $(seq 720); do  # up to 2 hours: apt installs and a cold build come first
  if ! kill -0 "$run_pid" 2>/dev/null; then break; fi
  if [ -f "$root/root/kneecoach/var/demo-credentials" ] &&
     in_chroot 'KNEECOACH_TOKEN=$(awk "/^physio /{print \$2}" var/demo-credentials) \
                build/clients/cli/kneecoach --timeout=2 exercises list --category=isometric' \
       >"$log-cli.log" 2>&1; then
    answered=1
    break
  fi
  sleep 10
done
if [ $answered -eq 1 ]; then
  step "scripts/run.sh: the server answers the CLI"
  sed -n '1,4p' "$log-cli.log"
  kill -TERM -- "-$run_pid" 2>/dev/null || true
  wait "$run_pid" 2>/dev/null || true
else
  step "scripts/run.sh FAILED"
  kill -TERM -- "-$run_pid" 2>/dev/null || true
  wait "$run_pid" 2>/dev/null || true
  tail -n 40 "$log-run.log"
  [ ! -s "$log-cli.log" ] || { echo "--- last CLI call:"; tail -n 5 "$log-cli.log"; }
  echo "fresh-machine-check: FAILED (scripts/run.sh), $((SECONDS - started)) s in all"
  exit 1
fi

# --- 4. README's second command ------------------------------------------------------------
status=0
in_chroot scripts/test.sh >"$log-test.log" 2>&1 || status=$?
summary=$(grep -E "tests passed, [0-9]+ tests? failed out of" "$log-test.log" | tail -n 1 || true)
if [ $status -eq 0 ]; then
  step "scripts/test.sh"
else
  step "scripts/test.sh FAILED (exit $status)"
  if grep -q "^The following tests FAILED:" "$log-test.log"; then
    sed -n '/^The following tests FAILED:/,/^$/p' "$log-test.log"
  else
    tail -n 40 "$log-test.log"
  fi
fi
# Tests that did not run (skipped: a missing tool, or something a chroot lacks).
sed -n '/^The following tests did not run:/,/^$/p' "$log-test.log"
echo "fresh-machine-check: CTest: ${summary:-no summary (see $log-test.log)}"
echo "fresh-machine-check: $([ $status -eq 0 ] && echo ok || echo FAILED), $((SECONDS - started)) s in all"
exit $status
