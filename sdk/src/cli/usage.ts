/** `baton --help` and `baton help <command>`: the usage text, exit codes included. */
import type { CommandName } from './args.js';

const GLOBAL = `Global options (any command):
  --endpoints <urls>   comma-separated ws:// or wss:// node URLs (or BATON_ENDPOINTS);
                       default ws://127.0.0.1:7001,ws://127.0.0.1:7002,ws://127.0.0.1:7003
  --token <token>      bearer token for the cluster (or BATON_TOKEN)
  --ca <file>          PEM CA to trust for wss:// endpoints (or BATON_CA)
  --cert <file>        PEM client certificate, with --key, when the cluster asks for one
                       (or BATON_CERT, BATON_KEY)
  --json               machine-readable output (describe, status, elect without a command)
  -h, --help           this text; baton help <command> for one command
  --version            the CLI's version`;

const EXIT_CODES = `Exit codes:
  0        done (the command exited 0; elect/observe ended by Ctrl-C)
  N        lock/elect with a command: the command's own exit code (128+n if signal n ended it)
  1        another error (INTERNAL, RESOURCE_EXHAUSTED…)
  2        bad flags or arguments (also INVALID_ARGUMENT from the cluster)
  69       the cluster could not be reached, or the session was lost before the command ran
  70       the lock or leadership was LOST while the command ran: it was sent SIGTERM, then
           SIGKILL after --kill-grace
  75       busy: --try found the lock held, or --timeout passed; the command did not run
  77       the cluster refused the token (UNAUTHENTICATED, PERMISSION_DENIED)
  126/127  the command could not be executed / was not found
  128+n    baton itself was ended by signal n while waiting (130 for Ctrl-C)`;

const LOCK = `baton lock <name> [--ttl 10s] [--timeout 30s | --try] [--kill-grace 5s] [--limit N] -- <cmd> [args…]
  Acquire <name>, run <cmd> with BATON_LOCK_NAME, BATON_FENCING_TOKEN and BATON_LOCK_GENERATION
  in its environment, release when it exits, and exit with its exit code.
  --ttl         session TTL: how long the cluster keeps the lock if baton stops answering (1s..5m)
  --timeout     give up waiting after this long (exit 75); default: wait up to 1h
  --try         do not wait: exit 75 at once if the lock is held
  --kill-grace  after the lock is lost: SIGTERM, then SIGKILL this long after (default 5s)
  --limit       make <name> a semaphore with N holders
  The command runs in its own process group when stdin is not a terminal, so everything it
  started is signalled. SIGINT/SIGTERM/SIGHUP sent to baton are passed on to it.`;

const ELECT = `baton elect <name> <value> [--ttl 10s] [--timeout 30s] [--kill-grace 5s] [-- <cmd> [args…]]
  Campaign in election <name> with <value>; once leader, run <cmd> (with BATON_ELECTION_NAME,
  BATON_ELECTION_VALUE, BATON_LEADER_TERM and BATON_FENCING_TOKEN = the term) or, without a
  command, hold leadership until Ctrl-C. Resigns on the way out; on loss the command is
  terminated as with lock (exit 70).`;

const OBSERVE = `baton observe <name>
  Print one JSON line per leadership change of election <name>, the current state first:
  {"name":"workers/primary","leader":{"value":"worker-a","term":42,"sessionId":"17"}}
  {"name":"workers/primary","leader":null}        (no leader)
  Runs until Ctrl-C (exit 0).`;

const DESCRIBE = `baton describe <name>
  Holders (with fencing tokens), FIFO waiters, limit and lock-delay of a lock, semaphore or
  election. A table, or JSON with --json.`;

const STATUS = `baton status
  The answering node's view of the cluster: members, leader, Raft term, commit and applied
  index. A table, or JSON with --json.`;

const MEMBERS = `baton members list
baton members add <id> <peer-url> [--client-url <ws-url>] [--timeout 60s | --learner]
baton members promote <id> [--timeout 60s]
baton members remove <id>
  Change the cluster's membership without downtime (needs the admin permission).
  list     every member: role, leader, replication match and lag, reachable
  add      start the new node first (baton-server --id <id> --initial-cluster-state existing
           --peers <existing members and itself>), then add it: as a learner, then as a voter
           once it has caught up (--timeout bounds that wait; --learner stops at learner)
  promote  make a learner a voter (refused while it is behind; --timeout waits for it)
  remove   remove a member; removing the leader hands leadership to another voter first.
           Refused if it is the last voter or would leave fewer reachable voters than a quorum.`;

const LEADER = `baton leader transfer <id> [--timeout 3s]
  Hand Raft leadership to voter <id> (for maintenance of the current leader's host).`;

const SNAPSHOT = `baton snapshot save <file>
  An online backup: a consistent copy of every session, lock, semaphore and election with its
  Raft index and term, checked by SHA-256 and written atomically (mode 0600). Restore it into a
  NEW cluster with baton-server restore --from <file> (see the README, "Backing up and restoring").`;

const PER_COMMAND: Readonly<Record<CommandName, string>> = {
  lock: LOCK,
  elect: ELECT,
  observe: OBSERVE,
  describe: DESCRIBE,
  status: STATUS,
  members: MEMBERS,
  leader: LEADER,
  snapshot: SNAPSHOT,
};

export function usage(command: CommandName | null): string {
  if (command !== null) return `${PER_COMMAND[command]}\n\n${GLOBAL}\n\n${EXIT_CODES}\n`;
  return [
    'baton: locks with fencing tokens, semaphores and leader elections from the shell',
    '',
    'Commands:',
    Object.values(PER_COMMAND).join('\n\n'),
    '',
    GLOBAL,
    '',
    EXIT_CODES,
    '',
    'Examples:',
    '  baton lock nightly-report -- ./report.sh',
    '  baton lock jobs/import --try -- node import.js      # skip this run if another replica has it',
    '  baton elect workers/primary "$HOSTNAME" -- node worker.js',
    '  baton observe workers/primary | jq .leader.value',
    '  baton describe nightly-report',
    '  baton members add n4 http://10.0.0.4:7001',
    '  baton snapshot save ./baton-$(date +%F).bak',
    '',
  ].join('\n');
}
