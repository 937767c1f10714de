export type {
  ConsumeOptions,
  DeliveryReport,
  IncomingMessage,
  KafkaClient,
  KafkaConsumer,
  KafkaProducer,
  OutgoingMessage,
  TopicMessages,
  TopicSpec,
} from './client.js';
export { MessageReleased } from './client.js';
export * from './envelope.js';
export * from './event-keys.js';
export * from './heartbeat.js';
export * from './kafka-sink.js';
export * from './kafkajs-client.js';
export * from './signal-decode.js';
export * from './signal-source.js';
export * from './topics.js';
