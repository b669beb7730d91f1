#!/usr/bin/env bash
# A sysbox smoke test, the way installers check the runtime after setup.
set -euo pipefail

check_runtime() {
    local ctx="$1"
    out=$(docker --context "$ctx" run --rm --runtime=sysbox-runc alpine echo ok 2>&1) || return 1
    [[ "$out" == ok ]]
}

start_sandbox() {
    docker run -d --name "sandbox-$1" --runtime sysbox-runc \
        --security-opt=no-new-privileges "$2"
}

docker create "--runtime=sysbox-runc" --name quoted alpine
