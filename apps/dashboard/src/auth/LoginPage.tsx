import { Alert, Box, Button, Card, CardContent, CircularProgress, Stack, TextField, Typography } from '@mui/material';
import { type FormEvent, useEffect, useState } from 'react';
import { useLogin, useNavigate } from 'react-admin';
import { loginMessage, session } from '../api';

/** Email + password sign-in. Failures (401, 429) show the API's own words inline. */
export const LoginPage = () => {
  const login = useLogin();
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [submitting, setSubmitting] = useState(false);
  // A reason the user was sent here (expired session, invalid portal link).
  const [notice] = useState(() => loginMessage.peek());
  const [error, setError] = useState<string | null>(null);

  // The reason stays stored until a sign-in succeeds (authProvider.login): a
  // reload that follows a refused request must still show it.
  useEffect(() => {
    if (session.get()) navigate('/');
  }, [navigate]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!email.trim() || !password) {
      setError('Enter your email and password');
      return;
    }
    setSubmitting(true);
    setError(null);
    try {
      await login({ email: email.trim(), password });
    } catch (caught) {
      setError(caught instanceof Error && caught.message ? caught.message : 'Sign-in failed; try again');
      setSubmitting(false);
    }
  };

  const shown = error ?? notice;
  return (
    <Box sx={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', bgcolor: 'grey.100', p: 2 }}>
      <Card sx={{ width: 400, maxWidth: '100%' }} component="main">
        <CardContent>
          <Stack component="form" onSubmit={submit} spacing={2} noValidate aria-label="Sign in to Herald">
            <Box>
              <Typography variant="h5" component="h1">
                Herald
              </Typography>
              <Typography variant="body2" color="text.secondary">
                Sign in to watch deliveries and replay what failed.
              </Typography>
            </Box>
            {shown && (
              <Alert severity={error ? 'error' : 'warning'} data-testid="login-error" role="alert">
                {shown}
              </Alert>
            )}
            <TextField
              label="Email"
              type="email"
              name="email"
              autoComplete="username"
              autoFocus
              value={email}
              onChange={(event) => setEmail(event.target.value)}
              disabled={submitting}
            />
            <TextField
              label="Password"
              type="password"
              name="password"
              autoComplete="current-password"
              value={password}
              onChange={(event) => setPassword(event.target.value)}
              disabled={submitting}
            />
            <Button
              type="submit"
              variant="contained"
              size="large"
              disabled={submitting}
              startIcon={submitting ? <CircularProgress size={18} color="inherit" /> : undefined}
            >
              Sign in
            </Button>
          </Stack>
        </CardContent>
      </Card>
    </Box>
  );
};
