import { defaultTheme, type RaThemeOptions } from 'react-admin';

/** react-admin's default theme with Herald's colours; status colours stay MUI's (green ok, red failed, amber pending). */
export const theme: RaThemeOptions = {
  ...defaultTheme,
  palette: {
    ...defaultTheme.palette,
    primary: { main: '#2f4fb5' },
    secondary: { main: '#1d2939' },
    background: { default: '#f6f7f9' },
  },
  sidebar: { width: 220, closedWidth: 55 },
};
