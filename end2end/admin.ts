// The admin the e2e server is started with (playwright.config.ts) and the tests sign in as.
export const ADMIN = {
  email: 'e2e-admin@example.com',
  password: 'an e2e password that is long enough',
};
