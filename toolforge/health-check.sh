#!/bin/bash
# Health check of the continuous delivery job: healthy while the job's heartbeat file is fresh.
# The job touches the file every delivery.interval seconds (also when nothing is due, while a wiki is
# down and while Kudos is read-only), so a stale or missing file means it hangs or died; Kubernetes then
# restarts it.
set -euo pipefail
# The job's default heartbeat is instance/wikibot.health (delivery.health_file), beside this folder.
file="${KUDOS_HEALTH_FILE:-$(dirname "$0")/../instance/wikibot.health}"
max_age="${KUDOS_HEALTH_MAX_AGE:-300}"
if [ ! -e "$file" ]; then
    echo "no heartbeat file $file" >&2
    exit 1
fi
age=$(( $(date +%s) - $(stat -c %Y "$file") ))
if [ "$age" -gt "$max_age" ]; then
    echo "heartbeat $file is ${age}s old (limit ${max_age}s)" >&2
    exit 1
fi
