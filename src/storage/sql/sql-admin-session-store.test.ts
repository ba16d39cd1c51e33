import { useMigratedDatabases } from '../../../test/support/migrated-databases.js';
import { describeAdminSessionStoreContract } from '../admin-session-store.contract.js';

const databases = useMigratedDatabases('sessions');

describeAdminSessionStoreContract('SQLite', async () => databases.sqlite().adminSessions);
describeAdminSessionStoreContract('Postgres', async () => databases.postgres().adminSessions);
