import kafkajs from 'kafkajs';

/** The broker's floor for a group's session timeout (`group.min.session.timeout.ms`). */
export async function brokerMinSessionTimeout(brokers: string[]): Promise<number> {
  const admin = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const { brokers: nodes } = await admin.describeCluster();
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        {
          type: kafkajs.ConfigResourceTypes.BROKER,
          name: String(nodes[0]?.nodeId),
          configNames: ['group.min.session.timeout.ms'],
        },
      ],
    });
    return Number(resources[0]?.configEntries[0]?.configValue ?? 6000);
  } finally {
    await admin.disconnect();
  }
}
