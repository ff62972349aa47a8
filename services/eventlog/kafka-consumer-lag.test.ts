import { expect, it } from 'vitest';
import { describeWith, kafkaClient, uniqueTopic } from '../../test/harness/index.js';
import { readConsumerLag } from './kafka-consumer-lag.js';

describeWith('kafka', "the archiver group's consumer lag, on a broker", (server) => {
  it('is the high watermark minus the committed offset (all of it before any commit)', async () => {
    const topic = uniqueTopic('consumer-lag');
    const groupId = `${topic}-group`;
    const kafka = kafkaClient(server);
    const admin = kafka.admin();
    const producer = kafka.producer();
    await admin.connect();
    await producer.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      await producer.send({ topic, messages: [1, 2, 3, 4].map((i) => ({ value: `m${i}` })) });
      expect(await readConsumerLag({ brokers: [...server.brokers], topic, groupId })).toMatchObject({ messages: 4, partitions: [{ partition: 0, high: 4, committed: null, lag: 4 }] });
      await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '3' }] });
      expect(await readConsumerLag({ brokers: [...server.brokers], topic, groupId })).toMatchObject({ topic, groupId, messages: 1, partitions: [{ committed: 3, lag: 1 }] });
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
