#!/usr/bin/env bash
# docker run --runtime=sysbox-runc is how containers start (a comment is no command).
set -euo pipefail

hint() {
    echo "use: docker run --runtime=sysbox-runc IMAGE"
    printf '%s\n' "docker --runtime sysbox-runc"
    cat <<EOF
docker run --runtime=sysbox-runc alpine
EOF
}

# Another runtime, and sysbox-runc named elsewhere on the line.
docker run --runtime=runc alpine
docker run --rm --name sysbox-runc alpine
podman run --runtime=sysbox-runc alpine
