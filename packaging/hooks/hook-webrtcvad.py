"""webrtcvad comes from the webrtcvad-wheels distribution, which reads its own version at import.

Replaces the contrib hook, which asks for the metadata of "webrtcvad" and fails when only the wheels
fork is installed.
"""

from PyInstaller.utils.hooks import copy_metadata

datas = copy_metadata("webrtcvad-wheels")
