// How kneecoach-desktop finds its server and token, with the CLI's conventions:
//   --server=HOST:PORT   (or --target; else $KNEECOACH_SERVER, else 127.0.0.1:50051)
//   --token-file=PATH    (else $KNEECOACH_TOKEN, else $KNEECOACH_TOKEN_FILE); the token is
//                        the file's first line, without surrounding blanks.
//   --tls_ca=PEM         (else $KNEECOACH_TLS_CA) the CA that signed the server's certificate:
//                        connect with TLS; without it, plaintext.
#pragma once

#include <string>

#include <QStringList>

#include "absl/status/statusor.h"
#include "clients/desktop/client.h"

namespace kneecoach::desktop {

// `arguments` as QCoreApplication::arguments() gives them (program name first). --help and
// --version are handled (printed) by Qt's parser and exit.
absl::StatusOr<ClientOptions> ParseOptions(const QStringList& arguments);

}  // namespace kneecoach::desktop
