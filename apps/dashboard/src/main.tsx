import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { capturePortalToken } from './portal';
import { Root } from './Root';

capturePortalToken();
// A portal link pasted into an open tab: start over in portal mode.
window.addEventListener('hashchange', () => {
  if (capturePortalToken()) window.location.reload();
});

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <Root />
    </StrictMode>,
  );
}
