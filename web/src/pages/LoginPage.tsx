import { Alert, Anchor, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { IconAlertCircle, IconCircleCheck, IconClockHour4 } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { errorMessage, isApiError } from '../api';
import type { LoginLocationState } from '../auth/RequireAuth';
import { useAuth } from '../auth/useAuth';
import { FullPageLoader } from '../components/FullPageLoader';
import { Logo } from '../components/Logo';

const DEFAULT_AFTER_LOGIN = '/customers';

function returnPath(state: unknown): string {
  const from = (state as LoginLocationState | null)?.from;
  // Only same-app paths; never back to /login itself.
  if (typeof from === 'string' && from.startsWith('/') && !from.startsWith('//') && !from.startsWith('/login')) {
    return from;
  }
  return DEFAULT_AFTER_LOGIN;
}

export function LoginPage() {
  const { status, signIn } = useAuth();
  const location = useLocation();
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [fieldErrors, setFieldErrors] = useState<{ email?: string; password?: string }>({});
  const [error, setError] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);
  const target = returnPath(location.state);
  const passwordSet = (location.state as LoginLocationState | null)?.passwordSet === true;

  if (status === 'loading') return <FullPageLoader />;
  if (status === 'authenticated' && !submitting) return <Navigate to={target} replace />;

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const errors = {
      email: email.trim() === '' ? 'Enter your email address.' : undefined,
      password: password === '' ? 'Enter your password.' : undefined,
    };
    setFieldErrors(errors);
    if (errors.email || errors.password) return;
    setError(null);
    setSubmitting(true);
    try {
      await signIn(email.trim(), password);
      navigate(target, { replace: true });
    } catch (err) {
      setError(err);
      setSubmitting(false);
    }
  }

  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Stack w="100%" maw={400} gap="lg" align="stretch">
        <Stack align="center" gap={6}>
          <Logo size="lg" />
          <Text c="dimmed" size="sm">
            Device Management for Apple
          </Text>
        </Stack>
        <Paper withBorder shadow="sm" radius="md" p="xl">
          <form onSubmit={handleSubmit} noValidate>
            <Stack gap="md">
              <Title order={3} fw={600}>
                Sign in to your account
              </Title>
              {error ? (
                <LoginError error={error} />
              ) : passwordSet ? (
                <Alert
                  color="green"
                  variant="light"
                  icon={<IconCircleCheck size={18} />}
                  title="Password set"
                  role="status"
                >
                  Sign in with your email and your new password.
                </Alert>
              ) : null}
              <TextInput
                label="Email"
                type="email"
                autoComplete="username"
                value={email}
                onChange={(e) => setEmail(e.currentTarget.value)}
                error={fieldErrors.email}
                required
                withAsterisk={false}
                data-autofocus
                autoFocus
              />
              <PasswordInput
                label="Password"
                autoComplete="current-password"
                value={password}
                onChange={(e) => setPassword(e.currentTarget.value)}
                error={fieldErrors.password}
                required
                withAsterisk={false}
                visibilityToggleButtonProps={{ 'aria-label': 'Show or hide characters' }}
              />
              <Button type="submit" fullWidth loading={submitting} mt="xs">
                Sign in
              </Button>
            </Stack>
          </form>
        </Paper>
        <Text size="xs" c="dimmed" ta="center">
          Automating Orchard? See the{' '}
          <Anchor href="/docs" size="xs">
            API documentation
          </Anchor>
          .
        </Text>
      </Stack>
    </Center>
  );
}

function LoginError({ error }: { error: unknown }) {
  const throttled = isApiError(error) && error.status === 429;
  const title = throttled
    ? 'Too many sign-in attempts'
    : isApiError(error) && error.status === 401
      ? 'Sign-in failed'
      : 'Could not sign in';
  return (
    <Alert
      color={throttled ? 'orange' : 'red'}
      variant="light"
      title={title}
      icon={throttled ? <IconClockHour4 size={18} /> : <IconAlertCircle size={18} />}
      role="alert"
    >
      {errorMessage(error)}
    </Alert>
  );
}
