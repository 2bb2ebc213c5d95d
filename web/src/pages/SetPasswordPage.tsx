import { Alert, Anchor, Button, Center, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { IconAlertCircle, IconLinkOff } from '@tabler/icons-react';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate } from 'react-router-dom';
import { authApi, errorMessage, isApiError, refusedField } from '../api';
import type { LoginLocationState } from '../auth/RequireAuth';
import { Logo } from '../components/Logo';
import { PASSWORD_MIN_LENGTH, validateNewPassword } from '../lib/validation';

/** The one-time token of an invitation or reset link, from `#token=…`. */
function tokenOf(hash: string): string | null {
  return new URLSearchParams(hash.replace(/^#/, '')).get('token') || null;
}

/**
 * /set-password#token=…: where an invitation or password reset link leads. Public: the holder
 * of the link has no session. The token is in the fragment, which browsers never send to a
 * server, so it stays out of access logs and Referer headers.
 */
export function SetPasswordPage() {
  const location = useLocation();
  const navigate = useNavigate();
  const [token] = useState(() => tokenOf(location.hash));

  // Once read, the token leaves the address bar, so it is not on screen or in the history.
  useEffect(() => {
    if (location.hash) navigate({ pathname: location.pathname, search: location.search }, { replace: true });
  }, [location.hash, location.pathname, location.search, navigate]);

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
          {token ? <SetPasswordForm token={token} /> : <LinkProblem />}
        </Paper>
      </Stack>
    </Center>
  );
}

function SetPasswordForm({ token }: { token: string }) {
  const navigate = useNavigate();
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [errors, setErrors] = useState<{ password?: string; repeat?: string }>({});
  const [error, setError] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (submitting) return;
    const invalid = validateNewPassword(password, repeat);
    setErrors(invalid);
    setError(null);
    if (invalid.password || invalid.repeat) return;
    setSubmitting(true);
    try {
      await authApi.setPasswordWithLink(token, password);
      const state: LoginLocationState = { passwordSet: true };
      navigate('/login', { replace: true, state });
    } catch (err) {
      const refused = refusedField(err, ['password']);
      if (refused) setErrors({ password: refused.detail });
      else setError(err);
      setSubmitting(false);
    }
  }

  if (isApiError(error) && error.code === 'LINK_INVALID') return <LinkProblem detail={error.detail} />;

  return (
    <form onSubmit={handleSubmit} noValidate>
      <Stack gap="md">
        <Title order={3} fw={600}>
          Choose your password
        </Title>
        {error ? (
          <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title="Not saved" role="alert">
            {errorMessage(error)}
          </Alert>
        ) : null}
        <PasswordInput
          label="New password"
          description={`At least ${PASSWORD_MIN_LENGTH} characters.`}
          autoComplete="new-password"
          value={password}
          onChange={(event) => {
            setPassword(event.currentTarget.value);
            setErrors((current) => ({ ...current, password: undefined }));
          }}
          error={errors.password}
          autoFocus
          visibilityToggleButtonProps={{ 'aria-label': 'Show or hide characters' }}
        />
        <PasswordInput
          label="Repeat the new password"
          autoComplete="new-password"
          value={repeat}
          onChange={(event) => {
            setRepeat(event.currentTarget.value);
            setErrors((current) => ({ ...current, repeat: undefined }));
          }}
          error={errors.repeat}
          visibilityToggleButtonProps={{ 'aria-label': 'Show or hide characters' }}
        />
        <Button type="submit" fullWidth loading={submitting} mt="xs">
          Set password
        </Button>
      </Stack>
    </form>
  );
}

/** No token in the address, or the server says the link is used up or expired. */
function LinkProblem({ detail }: { detail?: string }) {
  return (
    <Stack gap="md">
      <Title order={3} fw={600}>
        This link does not work
      </Title>
      <Alert color="orange" variant="light" icon={<IconLinkOff size={18} />} role="alert">
        {detail ??
          'The address is incomplete: open the whole link you were sent. If it still does not work, ask an Orchard admin for a new one.'}
      </Alert>
      <Text size="sm" ta="center">
        <Anchor component={Link} to="/login" size="sm">
          Go to sign-in
        </Anchor>
      </Text>
    </Stack>
  );
}
