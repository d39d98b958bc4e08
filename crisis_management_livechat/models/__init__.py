from . import im_livechat_channel
