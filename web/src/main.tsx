import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './components/app.tsx'
import { SessionProvider } from './session.tsx'
import './styles.css'

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SessionProvider>
      <App />
    </SessionProvider>
  </StrictMode>,
)
