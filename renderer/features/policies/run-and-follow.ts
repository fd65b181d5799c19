import { navigate } from '../app/router';
import { usePolicies } from './store';

/**
 * Runs a policy and opens its job in the Activity Monitor: whoever clicks Run now on a policy
 * wants to watch that job. (The Dashboard's Back up now stays put and links instead: its VM
 * table shows the outcome where the click was.)
 */
export async function runAndFollow(policy: string): Promise<void> {
  const jobId = await usePolicies.getState().runNow(policy);
  if (jobId !== null) navigate('activity', jobId);
}
