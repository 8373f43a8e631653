(function(){
var el=document.getElementById("waf-captcha");
var id=el.getAttribute("data-id"),w=+el.getAttribute("data-width"),p=+el.getAttribute("data-piece"),ret=el.getAttribute("data-return");
var piece=document.getElementById("waf-piece"),knob=document.getElementById("waf-knob"),msg=document.getElementById("waf-msg");
var track=w-p,start=null,x0=0,y0=0,t0=0,pos=0,trail=[];
function at(e){return e.touches?e.touches[0]:e}
function move(e){if(start===null)return;var q=at(e);pos=Math.max(0,Math.min(track,q.clientX-x0));piece.style.left=pos+"px";knob.style.left=pos+"px";trail.push({x:pos,y:q.clientY-y0,t:Date.now()-t0});e.preventDefault()}
function down(e){var q=at(e);start=true;x0=q.clientX-pos;y0=q.clientY;t0=Date.now();trail=[{x:pos,y:0,t:0}];e.preventDefault()}
function up(){if(start===null)return;start=null;
var body=JSON.stringify({challenge_id:id,user_ratio:pos/track,trail:trail.slice(0,2000),duration_ms:Date.now()-t0});
var r=new XMLHttpRequest();r.open("POST","/.well-known/waf-captcha");r.setRequestHeader("Content-Type","application/json");
r.onload=function(){if(r.status===200){location.replace(ret)}else{msg.textContent="Not quite. Try again.";setTimeout(function(){location.reload()},800)}};r.send(body)}
knob.addEventListener("mousedown",down);knob.addEventListener("touchstart",down);
document.addEventListener("mousemove",move);document.addEventListener("touchmove",move,{passive:false});
document.addEventListener("mouseup",up);document.addEventListener("touchend",up);
})();
