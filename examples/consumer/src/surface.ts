// Imports every kubekit package by its published name, the way an operator in a monorepo does.
// If an exports map or its types stop resolving under nodenext, this file stops compiling.
import { KubeClientError } from '@kubekit/client';
import { EnvtestError } from '@kubekit/envtest';
import { LeaderElectionError, systemClock, type Clock } from '@kubekit/leaderelection';
import { ManagerError, runnable, type Runnable } from '@kubekit/manager';
import { TerminalError, type Reconciler } from '@kubekit/reconcile';

export const clock: Clock = systemClock;

export const idle: Runnable = runnable(() => Promise.resolve(), { needLeaderElection: false });

export const noop: Reconciler = { reconcile: () => Promise.resolve({}) };

export const errorClasses = [KubeClientError, EnvtestError, LeaderElectionError, ManagerError, TerminalError];
