#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for the grid's tests and for trying `rclib grid --executor slurm`
# without a cluster. It starts, directly (no systemd) and as root: munged, MariaDB with slurmdbd (job accounting,
# without which sacct fails and every job state reads UNKNOWN), slurmctld and slurmd, all configured under
# $RCLIB_SLURM_DIR (default /tmp/rclib-slurm). Needs Debian's slurm-wlm, slurmdbd, munge and mariadb-server.
#
#   scripts/slurm_local.sh start    # prints the line to export: SLURM_CONF=.../slurm.conf
#   scripts/slurm_local.sh stop     # stops the daemons by their pid files, in reverse order, then MariaDB and
#                                   # munged where this script started them
#   scripts/slurm_local.sh status
set -euo pipefail
DIR=${RCLIB_SLURM_DIR:-/tmp/rclib-slurm}
CONF=$DIR/slurm.conf
export SLURM_CONF=$CONF

need() { command -v "$1" >/dev/null || { echo "slurm_local: '$1' not found (apt-get install slurm-wlm slurmdbd munge mariadb-server)" >&2; exit 3; }; }

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...: poll until COMMAND succeeds
  local limit=$1 what=$2; shift 2
  for _ in $(seq "$limit"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  echo "slurm_local: $what did not come up within ${limit}s; logs in $DIR" >&2; exit 4
}

write_config() {
  mkdir -p "$DIR/ctld" "$DIR/spool"
  local host node
  host=$(hostname -s)
  node=$(slurmd -C | head -1)
  cat >"$CONF" <<EOF
ClusterName=rclib
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$DIR/ctld
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
KillWait=5
MinJobAge=600
# a requeued job waits this long before it may start again, and the scheduler looks at pending jobs this often
# (Slurm's defaults, 120 s and 60 s, would dominate the requeue tests)
AuthInfo=cred_expire=10
SchedulerParameters=bf_interval=5,sched_interval=5
# preemption as on a shared cluster: a job of the partition "urgent" requeues a job of "debug" that holds what it
# needs, after sending it the user's signal (submitit's USR2) and a grace time to checkpoint in
PreemptType=preempt/partition_prio
PreemptMode=REQUEUE
SlurmctldParameters=preempt_send_user_signal
$node State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP PriorityTier=1 GraceTime=60
PartitionName=urgent Nodes=ALL MaxTime=INFINITE State=UP PriorityTier=2 PreemptMode=OFF
EOF
  cat >"$DIR/slurmdbd.conf" <<EOF
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=rclib
StorageLoc=slurm_acct_db
PidFile=$DIR/slurmdbd.pid
LogFile=$DIR/slurmdbd.log
EOF
  chmod 600 "$DIR/slurmdbd.conf"
}

start() {
  [ "$(id -u)" = 0 ] || { echo "slurm_local: must run as root (the daemons run as root here)" >&2; exit 3; }
  for b in munged mariadbd slurmdbd slurmctld slurmd sbatch sacct; do need "$b"; done
  write_config
  # munge: the key comes with Debian's package; the daemon runs as its own user
  [ -s /etc/munge/munge.key ] || mungekey --create --keyfile=/etc/munge/munge.key
  mkdir -p /run/munge && chown munge:munge /run/munge /etc/munge/munge.key
  if ! pgrep -x munged >/dev/null; then runuser -u munge -- munged && touch "$DIR/started-munged"; fi
  wait_for 10 munged munge -n
  # MariaDB for slurmdbd's accounting
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
  if ! mysqladmin ping >/dev/null 2>&1; then
    (mysqld_safe --user=mysql >"$DIR/mariadb.log" 2>&1 &)
    wait_for 60 MariaDB mysqladmin ping
    touch "$DIR/started-mariadb"
  fi
  mysql -e "CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'rclib';
            GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"
  [ -f "$DIR/slurmdbd.pid" ] && kill -0 "$(cat "$DIR/slurmdbd.pid")" 2>/dev/null || slurmdbd  # reads slurmdbd.conf beside $SLURM_CONF
  wait_for 30 slurmdbd sacctmgr -n list cluster
  sacctmgr -i add cluster rclib >/dev/null 2>&1 || true
  [ -f "$DIR/slurmctld.pid" ] && kill -0 "$(cat "$DIR/slurmctld.pid")" 2>/dev/null || slurmctld -f "$CONF"
  wait_for 30 slurmctld scontrol ping
  [ -f "$DIR/slurmd.pid" ] && kill -0 "$(cat "$DIR/slurmd.pid")" 2>/dev/null || slurmd -f "$CONF"
  wait_for 30 "the node" sh -c "sinfo -h -o %t | grep -qE '^(idle|mix|alloc)'"
  # jobs the saved state still lists from an earlier start are ghosts (their processes died with that cluster, and
  # one listed as running would hold the node forever): cancel them, then wait for the node to be free
  squeue -h -o %A | xargs -r scancel
  wait_for 60 "the node, free of earlier jobs" sh -c "[ -z \"\$(squeue -h -o %A)\" ] && sinfo -h -o %t | grep -qx idle"
  echo "export SLURM_CONF=$CONF"
}

stop() {
  # cancel what is still queued or running first, so that no job outlives the cluster in its saved state
  if [ -f "$DIR/slurmctld.pid" ] && kill -0 "$(cat "$DIR/slurmctld.pid")" 2>/dev/null; then
    squeue -h -o %A 2>/dev/null | xargs -r scancel 2>/dev/null || true
    for _ in $(seq 20); do [ -z "$(squeue -h -o %A 2>/dev/null)" ] && break; sleep 0.5; done
  fi
  for daemon in slurmd slurmctld slurmdbd; do
    if [ -f "$DIR/$daemon.pid" ]; then
      pid=$(cat "$DIR/$daemon.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      rm -f "$DIR/$daemon.pid"
    fi
  done
  # the helpers this script started (not ones that ran before it)
  if [ -f "$DIR/started-mariadb" ]; then
    mysqladmin shutdown 2>/dev/null || true
    for _ in $(seq 40); do pgrep -x mariadbd >/dev/null || break; sleep 0.5; done
    rm -f "$DIR/started-mariadb"
  fi
  if [ -f "$DIR/started-munged" ]; then
    pkill -x munged 2>/dev/null || true
    for _ in $(seq 20); do pgrep -x munged >/dev/null || break; sleep 0.5; done
    rm -f "$DIR/started-munged"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) scontrol ping && sinfo && sacct -n -X -o JobID,State | tail -5 ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
