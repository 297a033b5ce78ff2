import { defaultI18nProvider, type I18nProvider } from 'react-admin';

/** react-admin's English, with Herald's wording where the defaults are vague ("Element updated"). */
const OVERRIDES: Record<string, string> = {
  'ra.notification.updated': 'Saved',
  'ra.notification.created': 'Created',
  'ra.notification.deleted': 'Deleted',
  'ra.notification.item_doesnt_exist': 'Not found: it may have been deleted, or belong to another application',
  'ra.notification.http_error': 'Herald did not answer; check that the server is running',
  'ra.page.not_found': 'Not found',
  'ra.message.invalid_form': 'Some fields need attention: see the messages under them',
};

export const i18nProvider: I18nProvider = {
  ...defaultI18nProvider,
  translate: (key, options) => OVERRIDES[key] ?? defaultI18nProvider.translate(key, options),
};
