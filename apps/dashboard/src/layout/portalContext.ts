import { createContext, useContext } from 'react';

/** The portal's application id in portal mode, null for operators. */
export const PortalContext = createContext<string | null>(null);

export const usePortal = () => useContext(PortalContext) !== null;
