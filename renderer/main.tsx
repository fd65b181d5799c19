import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { startClient } from './api/client';
import { App } from './App';
import { connectStores } from './features/app/events';
import { useApp } from './features/app/store';
import './styles/base.css';
import './styles/layout.css';
import './styles/components.css';
import './styles/screens.css';
import './styles/restore.css';

const client = startClient();
connectStores(client);
void useApp.getState().loadInfo();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
