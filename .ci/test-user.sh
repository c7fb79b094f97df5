# Sourced by the CI scripts that run tests as an unprivileged user (run as root):
#   test_user USER BASE   makes USER (a system user without a home) and its 65536 subordinate
#                         IDs from BASE in /etc/subuid and /etc/subgid, each only if missing
#   test_user_cleanup     removes at exit what test_user made (call it from the EXIT trap)
created_user=0 added_sub=0 test_user_name=
test_user() {
  test_user_name=$1
  if ! id "$1" >/dev/null 2>&1; then
    local group=(--user-group); getent group "$1" >/dev/null && group=(--gid "$1")
    useradd --system --no-create-home --shell /usr/sbin/nologin "${group[@]}" "$1"
    created_user=1
  fi
  # subordinate IDs, so that user(1000, 1000) and the like are mapped (through newuidmap)
  if ! grep -q "^$1:" /etc/subuid 2>/dev/null; then
    echo "$1:$2:65536" >> /etc/subuid
    echo "$1:$2:65536" >> /etc/subgid
    added_sub=1
  fi
}
test_user_cleanup() {
  if [ "$added_sub" = 1 ]; then sed -i "/^$test_user_name:/d" /etc/subuid /etc/subgid; fi
  if [ "$created_user" = 1 ]; then
    userdel "$test_user_name" 2>/dev/null || true
    getent group "$test_user_name" >/dev/null && groupdel "$test_user_name" || true
  fi
}
