#!/usr/bin/env node
// One-shot service of the compose file's `s3` profile: creates the archive's bucket in the
// S3-compatible store (s3proxy starts with none), retrying while the store starts. An existing
// bucket is fine. Uses the AWS SDK that rewind ships; credentials from the standard chain.
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

const endpoint = process.env.REWIND_S3_ENDPOINT;
const bucket = process.env.REWIND_S3_BUCKET ?? 'rewind';
const client = new S3Client({ ...(endpoint ? { endpoint, forcePathStyle: true } : {}), region: process.env.AWS_REGION ?? 'us-east-1' });
for (let attempt = 1; ; attempt += 1) {
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    process.stdout.write(`bucket ${bucket} created\n`);
    break;
  } catch (err) {
    if (err?.name === 'BucketAlreadyOwnedByYou' || err?.name === 'BucketAlreadyExists') {
      process.stdout.write(`bucket ${bucket} exists\n`);
      break;
    }
    if (attempt >= 30) throw err;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
