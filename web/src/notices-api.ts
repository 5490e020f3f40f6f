import type { NoticePreferencesBody } from '../../src/contracts/index.ts'
import { call } from './api.ts'

/** Which notices the signed-in person is mailed (`/api/account/notices`). */
export const noticesApi = {
  get: () => call<NoticePreferencesBody>('GET', '/api/account/notices'),
  /** Saves both choices; answers with what was saved. */
  save: (choice: NoticePreferencesBody) => call<NoticePreferencesBody>('PUT', '/api/account/notices', choice),
}
