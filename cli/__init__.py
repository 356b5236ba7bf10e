"""The `ytdnn` command (cli/main.py), the project's top layer."""

import contract  # pylint: disable=unused-import  # selects tf_keras first
