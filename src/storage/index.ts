export { loadOrCreateAdminKey } from './admin-key-file.js';
export { stateDirectory } from './state-directory.js';
export { openDatabase } from './open-database.js';
export type { OpenDatabaseOptions } from './open-database.js';
export { GROUP_BY_FIELDS, TIME_BUCKETS } from './request-log-store.js';
export type {
  AnalyticsFilter, AttemptLogRow, Database, ErrorCodeCount, GroupByField, LogFilter, LogPage, LogScope, Percentiles,
  RequestLogRow, RequestLogStore, SummaryGroup, TimeBucket, TimeWindow, TimeseriesPoint, UsageFigures, UserMonthCost,
} from './request-log-store.js';
