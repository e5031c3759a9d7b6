//! The database servers themselves: each listens on its loopback port and
//! its Unix socket, checks the app user's password on both, and is gone
//! (processes, port, socket, temp dir) once stopped.

use std::{
    net::TcpStream,
    path::{Path, PathBuf},
    time::Instant,
};

use sonde_tests::databases::{Databases, Resp, Transport, DB_PASSWORD, DB_USER};

#[test]
fn servers_listen_on_loopback_and_sockets_and_stop() {
    let started = Instant::now();
    let mut dbs = Databases::start();
    eprintln!(
        "PostgreSQL, MariaDB and Redis started in {:?}",
        started.elapsed()
    );

    for transport in [Transport::Tcp, Transport::Unix] {
        assert_eq!(
            dbs.postgres.sql_as(
                DB_USER,
                DB_PASSWORD,
                transport,
                "SELECT current_user, current_database()"
            ),
            Ok("sonde|shop".to_owned()),
            "PostgreSQL over {transport:?}"
        );
        let wrong = dbs
            .postgres
            .sql_as(DB_USER, "wrong", transport, "SELECT 1")
            .expect_err("a wrong password is refused");
        assert!(wrong.contains("password authentication failed"), "{wrong}");
        let host = match transport {
            Transport::Tcp => "127.0.0.1",
            Transport::Unix => "localhost",
        };
        assert_eq!(
            dbs.mariadb.sql_as(
                DB_USER,
                DB_PASSWORD,
                transport,
                "SELECT CURRENT_USER(), DATABASE()"
            ),
            Ok(format!("sonde@{host}\tshop")),
            "MariaDB over {transport:?}"
        );
        let wrong = dbs
            .mariadb
            .sql_as(DB_USER, "wrong", transport, "SELECT 1")
            .expect_err("a wrong password is refused");
        assert!(wrong.contains("Access denied"), "{wrong}");
        assert_eq!(
            dbs.redis.command_over(transport, &["PING"]),
            Resp::Simple("PONG".into()),
            "Redis over {transport:?}"
        );
    }
    let save = dbs.redis.command(&["CONFIG", "GET", "save"]).texts();
    assert_eq!(save, ["save", ""], "Redis persists nothing");

    let addrs = [dbs.postgres.addr(), dbs.mariadb.addr(), dbs.redis.addr()];
    for addr in addrs {
        assert!(addr.ip().is_loopback(), "{addr}");
    }
    let sockets: [PathBuf; 3] = [
        dbs.postgres.socket_path(),
        dbs.mariadb.socket_path().to_path_buf(),
        dbs.redis.socket_path().to_path_buf(),
    ];
    for socket in &sockets {
        assert!(socket.exists(), "{} exists", socket.display());
    }
    let pids = [dbs.postgres.pid(), dbs.mariadb.pid(), dbs.redis.pid()];
    let dirs: Vec<PathBuf> = [dbs.postgres.dir(), dbs.mariadb.dir(), dbs.redis.dir()]
        .map(Path::to_path_buf)
        .to_vec();

    dbs.stop();
    for pid in pids {
        // SAFETY: kill with signal 0 only checks for the process group.
        let alive = unsafe { libc::kill(-(pid as libc::pid_t), 0) } == 0;
        assert!(!alive, "a process of group {pid} outlived stop()");
    }
    for addr in addrs {
        assert!(TcpStream::connect(addr).is_err(), "{addr} still accepts");
    }
    for socket in &sockets {
        assert!(!socket.exists(), "{} outlived stop()", socket.display());
    }
    drop(dbs);
    for dir in dirs {
        assert!(!dir.exists(), "{} outlived the servers", dir.display());
    }
}
