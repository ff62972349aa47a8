// `node kafka-round-trip.mjs <brokers> <topic>`: publishes two checkpoint records
// through the compiled Kafka transport (dist/: its producer and consumer run on
// worker threads), reads them back as a consumer group and prints what came
// back as JSON. Run by shipped-build.test.ts.
import { KafkaLogConsumer, KafkaLogProducer } from '../../../dist/services/eventlog/kafka-log.js';

const [brokers, topic] = process.argv.slice(2);
const records = [1, 2].map((i) => ({
  kind: 'checkpoint',
  checkpoint: { resumeToken: { _data: `82${i}` }, position: `1714564800.${i}.0`, durable: `1714564800.${i}.0` },
}));
const producer = await KafkaLogProducer.open({ brokers: brokers.split(','), topic });
await producer.publish(records);
await producer.close();
const consumer = await KafkaLogConsumer.open({ brokers: brokers.split(','), topic, groupId: `${topic}-g` });
const got = [];
const deadline = Date.now() + 30_000;
while (got.length < records.length && Date.now() < deadline) {
  const delivery = await consumer.poll(200);
  if (delivery) got.push(...delivery.records);
}
await consumer.close();
process.stdout.write(`${JSON.stringify(got)}\n`);
