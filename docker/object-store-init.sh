#!/bin/sh
# One-shot job of docker-compose.yml (image rclone/rclone, run as root once):
# `rclone serve s3` keeps each bucket as a folder of its volume, so the bucket
# is made here, with the folders FileIntel writes under its key prefix
# (<prefix>documents/, <prefix>staging/). Each holds an empty `.never-empty`
# folder (listed as no object): rclone removes a folder a delete leaves empty,
# and a write into it at that moment can fail (test/support/s3-server.ts does
# the same for the tests). Then the volume is handed to the server's non-root
# user. Safe to run again.
set -eu
: "${S3_BUCKET:?}" "${S3_PREFIX:?}" "${OBJECT_STORE_UID:?}"
for folder in documents staging; do
  mkdir -p "/data/$S3_BUCKET/$S3_PREFIX$folder/.never-empty"
done
# Only what this job made (root-owned); objects written later belong to the server already.
find /data -maxdepth 4 -user 0 -exec chown "$OBJECT_STORE_UID:$OBJECT_STORE_UID" {} +
echo "object-store-init: bucket '$S3_BUCKET' ready"
