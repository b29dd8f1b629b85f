{
 "patcher": {
  "fileversion": 1,
  "appversion": {
   "major": 8,
   "minor": 5,
   "revision": 0,
   "architecture": "x64",
   "modernui": 1
  },
  "classnamespace": "box",
  "rect": [
   40.0,
   40.0,
   960.0,
   760.0
  ],
  "boxes": [
   {
    "box": {
     "id": "obj-title",
     "maxclass": "comment",
     "text": "WAVE live client: click a message; replies print in the Max console",
     "patching_rect": [
      20.0,
      10.0,
      500.0,
      22.0
     ],
     "numinlets": 1,
     "numoutlets": 0,
     "outlettype": []
    }
   },
   {
    "box": {
     "id": "obj-send",
     "maxclass": "newobj",
     "text": "udpsend 127.0.0.1 9000",
     "patching_rect": [
      20.0,
      700.0,
      160.0,
      22.0
     ],
     "numinlets": 1,
     "numoutlets": 0,
     "outlettype": []
    }
   },
   {
    "box": {
     "id": "obj-recv",
     "maxclass": "newobj",
     "text": "udpreceive 9001",
     "patching_rect": [
      420.0,
      640.0,
      120.0,
      22.0
     ],
     "numinlets": 1,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-print",
     "maxclass": "newobj",
     "text": "print wave-reply",
     "patching_rect": [
      420.0,
      700.0,
      120.0,
      22.0
     ],
     "numinlets": 1,
     "numoutlets": 0,
     "outlettype": []
    }
   },
   {
    "box": {
     "id": "obj-lb",
     "maxclass": "newobj",
     "text": "loadbang",
     "patching_rect": [
      420.0,
      40.0,
      70.0,
      22.0
     ],
     "numinlets": 1,
     "numoutlets": 1,
     "outlettype": [
      "bang"
     ]
    }
   },
   {
    "box": {
     "id": "obj-msg0",
     "maxclass": "message",
     "text": "/wave/reply_to 9001",
     "patching_rect": [
      20.0,
      40.0,
      300.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-msg1",
     "maxclass": "message",
     "text": "/wave/ping hello",
     "patching_rect": [
      20.0,
      65.0,
      300.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-msg2",
     "maxclass": "message",
     "text": "/wave/status",
     "patching_rect": [
      20.0,
      90.0,
      300.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-msg3",
     "maxclass": "message",
     "text": "/wave/note 0 60 100",
     "patching_rect": [
      20.0,
      115.0,
      300.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-msg4",
     "maxclass": "message",
     "text": "/wave/note 0 60 0",
     "patching_rect": [
      20.0,
      140.0,
      300.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-msg5",
     "maxclass": "message",
     "text": "/wave/cc 0 64 127",
     "patching_rect": [
      20.0,
      165.0,
      300.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-msg6",
     "maxclass": "message",
     "text": "/wave/bend 0 4096",
     "patching_rect": [
      20.0,
      190.0,
      300.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-msg7",
     "maxclass": "message",
     "text": "/wave/program 0 80",
     "patching_rect": [
      20.0,
      215.0,
      300.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-msg8",
     "maxclass": "message",
     "text": "/wave/panic",
     "patching_rect": [
      20.0,
      240.0,
      300.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-msg9",
     "maxclass": "message",
     "text": "/wave/set/list",
     "patching_rect": [
      20.0,
      265.0,
      300.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-msg10",
     "maxclass": "message",
     "text": "/wave/set/load gm -1",
     "patching_rect": [
      20.0,
      290.0,
      300.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-msg11",
     "maxclass": "message",
     "text": "/wave/fx/set 0 lowpass cutoff_frequency_hz 800.",
     "patching_rect": [
      20.0,
      315.0,
      300.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-msg12",
     "maxclass": "message",
     "text": "/wave/fx/set -1 reverb room_size 0.8",
     "patching_rect": [
      20.0,
      340.0,
      300.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-msg13",
     "maxclass": "message",
     "text": "/wave/fx/bypass -1 reverb 0",
     "patching_rect": [
      20.0,
      365.0,
      300.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-msg14",
     "maxclass": "message",
     "text": "/wave/fx/list -1",
     "patching_rect": [
      20.0,
      390.0,
      300.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-msg15",
     "maxclass": "message",
     "text": "/wave/timbre/model 0 guitar",
     "patching_rect": [
      20.0,
      415.0,
      300.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-msg16",
     "maxclass": "message",
     "text": "/wave/timbre/mix 0 0.5",
     "patching_rect": [
      20.0,
      440.0,
      300.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-msg17",
     "maxclass": "message",
     "text": "/wave/timbre/bias 0 0 0.5",
     "patching_rect": [
      20.0,
      465.0,
      300.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-msg18",
     "maxclass": "message",
     "text": "/wave/learn -1 reverb wet_level",
     "patching_rect": [
      20.0,
      490.0,
      300.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-msg19",
     "maxclass": "message",
     "text": "/wave/midi/play sunday_market.mid",
     "patching_rect": [
      20.0,
      515.0,
      300.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-msg20",
     "maxclass": "message",
     "text": "/wave/midi/stop",
     "patching_rect": [
      20.0,
      540.0,
      300.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-msg21",
     "maxclass": "message",
     "text": "/wave/record/start take1.wav",
     "patching_rect": [
      20.0,
      565.0,
      300.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-msg22",
     "maxclass": "message",
     "text": "/wave/record/stop",
     "patching_rect": [
      20.0,
      590.0,
      300.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-msg23",
     "maxclass": "message",
     "text": "/wave/generate photo.jpg",
     "patching_rect": [
      20.0,
      615.0,
      300.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-plugins-title",
     "maxclass": "comment",
     "text": "LV2 plugins (wave plugins lists them; see docs/plugins.md)",
     "patching_rect": [
      560.0,
      40.0,
      360.0,
      22.0
     ],
     "numinlets": 1,
     "numoutlets": 0,
     "outlettype": []
    }
   },
   {
    "box": {
     "id": "obj-plugin0",
     "maxclass": "message",
     "text": "/wave/plugin/load 0 http://gareus.org/oss/lv2/balance",
     "patching_rect": [
      560.0,
      65.0,
      360.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-plugin1",
     "maxclass": "message",
     "text": "/wave/plugin/set 0 0 trim -12.",
     "patching_rect": [
      560.0,
      90.0,
      360.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-plugin2",
     "maxclass": "message",
     "text": "/wave/plugin/list 0",
     "patching_rect": [
      560.0,
      115.0,
      360.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-plugin3",
     "maxclass": "message",
     "text": "/wave/plugin/params 0 0",
     "patching_rect": [
      560.0,
      140.0,
      360.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-plugin4",
     "maxclass": "message",
     "text": "/wave/plugin/bypass 0 0 1",
     "patching_rect": [
      560.0,
      165.0,
      360.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-plugin5",
     "maxclass": "message",
     "text": "/wave/plugin/learn 0 0 trim",
     "patching_rect": [
      560.0,
      190.0,
      360.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-plugin6",
     "maxclass": "message",
     "text": "/wave/plugin/remove 0 0",
     "patching_rect": [
      560.0,
      215.0,
      360.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-plugin7",
     "maxclass": "message",
     "text": "/wave/plugin/load -1 http://gareus.org/oss/lv2/darc#stereo",
     "patching_rect": [
      560.0,
      240.0,
      360.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   },
   {
    "box": {
     "id": "obj-plugin8",
     "maxclass": "message",
     "text": "/wave/plugin/instrument 2 http://gareus.org/oss/lv2/b_synth",
     "patching_rect": [
      560.0,
      265.0,
      360.0,
      22.0
     ],
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ]
    }
   }
  ],
  "lines": [
   {
    "patchline": {
     "source": [
      "obj-recv",
      0
     ],
     "destination": [
      "obj-print",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-msg0",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-msg1",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-msg2",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-msg3",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-msg4",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-msg5",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-msg6",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-msg7",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-msg8",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-msg9",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-msg10",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-msg11",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-msg12",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-msg13",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-msg14",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-msg15",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-msg16",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-msg17",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-msg18",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-msg19",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-msg20",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-msg21",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-msg22",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-msg23",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-lb",
      0
     ],
     "destination": [
      "obj-msg0",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-plugin0",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-plugin1",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-plugin2",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-plugin3",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-plugin4",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-plugin5",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-plugin6",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-plugin7",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-plugin8",
      0
     ],
     "destination": [
      "obj-send",
      0
     ]
    }
   }
  ]
 }
}
