import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { pickTransport } from './api/transport.js';
import { Root } from './shell/Root.js';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root transport={pickTransport()} />
  </StrictMode>,
);
