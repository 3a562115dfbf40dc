/** Name of the environment variable that holds the backup key(s); kept apart from keyring.ts (node:crypto). */
export const CONFIG_BACKUP_KEY_ENV = 'CONFIG_BACKUP_KEY';
