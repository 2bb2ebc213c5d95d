import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClientProvider } from '@tanstack/react-query';
import { useState } from 'react';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router-dom';
import { AuthProvider } from './auth/AuthProvider';
import { RequireAuth } from './auth/RequireAuth';
import { AppLayout } from './layout/AppLayout';
import { createQueryClient } from './lib/queryClient';
import { AccountPage } from './pages/account/AccountPage';
import { AuditLogPage } from './pages/auditLog/AuditLogPage';
import { AddAbmTokenRedirect } from './pages/autoEnrollment/AddAbmTokenRedirect';
import { AutoEnrollmentPage } from './pages/autoEnrollment/AutoEnrollmentPage';
import { CustomerDetailPage } from './pages/customers/CustomerDetailPage';
import { DevicesPage } from './pages/devices/DevicesPage';
import { CustomersPage } from './pages/customers/CustomersPage';
import { LoginPage } from './pages/LoginPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { SetPasswordPage } from './pages/SetPasswordPage';
import { ApiKeysPage } from './pages/settings/apiKeys/ApiKeysPage';
import { EmailPage } from './pages/settings/email/EmailPage';
import { UsersPage } from './pages/settings/users/UsersPage';
import { WebhookDetailPage } from './pages/settings/webhooks/WebhookDetailPage';
import { WebhooksPage } from './pages/settings/webhooks/WebhooksPage';
import { theme } from './theme';

export function App() {
  const [queryClient] = useState(createQueryClient);

  return (
    <MantineProvider theme={theme} defaultColorScheme="light">
      <Notifications position="bottom-right" limit={4} />
      <QueryClientProvider client={queryClient}>
        {/*
          Without transitions, a navigation renders in the same task as the click that caused it:
          dialogs, filters and wizard steps kept in the URL appear at once, never one frame late.
        */}
        <BrowserRouter useTransitions={false}>
          <AuthProvider>
            <AppRoutes />
          </AuthProvider>
        </BrowserRouter>
      </QueryClientProvider>
    </MantineProvider>
  );
}

function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      {/* Public: the holder of an invitation or reset link has no session. */}
      <Route path="/set-password" element={<SetPasswordPage />} />
      <Route element={<RequireAuth />}>
        <Route element={<AppLayout />}>
          <Route index element={<Navigate to="/customers" replace />} />
          <Route path="/customers" element={<CustomersPage />} />
          <Route path="/customers/:id" element={<CustomerDetailPage />} />
          <Route path="/apple" element={<Navigate to="/apple/auto-enrollment" replace />} />
          <Route path="/apple/auto-enrollment" element={<AutoEnrollmentPage />} />
          <Route path="/apple/auto-enrollment/add" element={<AddAbmTokenRedirect />} />
          <Route path="/apple/devices" element={<DevicesPage />} />
          <Route path="/audit-log" element={<AuditLogPage />} />
          <Route path="/settings" element={<Navigate to="/settings/api-keys" replace />} />
          <Route path="/settings/users" element={<UsersPage />} />
          <Route path="/settings/api-keys" element={<ApiKeysPage />} />
          <Route path="/settings/webhooks" element={<WebhooksPage />} />
          <Route path="/settings/webhooks/:id" element={<WebhookDetailPage />} />
          <Route path="/settings/email" element={<EmailPage />} />
          <Route path="/account" element={<AccountPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Route>
    </Routes>
  );
}
